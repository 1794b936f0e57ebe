import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VitrineCatalog
import VitrineStore

/// In-process job workers, as a Service: started with the server, and on
/// shutdown each finishes the job in hand before the process exits.
struct WorkerService: Service {
    let deps: Dependencies
    let count: Int
    let logger: Logger

    func run() async throws {
        // A service that returns ends the whole group: with no workers, just wait for shutdown.
        guard count > 0 else {
            try? await gracefulShutdown()
            return
        }
        let stop = StopFlag()
        let group = DispatchGroup()
        for index in 0..<count {
            let wakeup = deps.wakeup
            let metrics = deps.metrics, logger = self.logger
            let worker = JobWorker(queue: deps.jobs, model: deps.model, workerID: "serve-\(ProcessInfo.processInfo.processIdentifier)-\(index + 1)",
                                   lease: deps.configuration.jobLease, idleWait: 0.05,
                                   idle: { seconds in _ = wakeup.wait(timeout: .now() + seconds) },
                                   onError: { operation, error in
                                       logger.error("worker: \(operation) failed", metadata: ["error": "\(error)"])
                                       metrics.failure(operation)
                                   })
            group.enter()
            let thread = Thread {
                worker.run(until: stop)
                group.leave()
            }
            thread.name = "vitrine-worker-\(index + 1)"
            thread.start()
        }
        logger.info("started \(count) in-process workers")
        try? await gracefulShutdown()
        stop.stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        logger.info("workers stopped")
    }
}

/// Deletes finished jobs (and originals no product uses) and old tombstones after the retention period, every minute.
struct MaintenanceService: Service {
    let deps: Dependencies
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let jobs = deps.jobs, cutoff = Date().addingTimeInterval(-deps.configuration.jobRetention)
            do {
                let purged = try await deps.pool.run { try jobs.purge(finishedBefore: cutoff) }
                if purged.jobs + purged.tombstones > 0 {
                    logger.info("purged \(purged.jobs) finished jobs and \(purged.tombstones) tombstones")
                }
            } catch {
                logger.error("retention purge failed; it is tried again in a minute", metadata: ["error": "\(error)"])
                deps.metrics.failure("retention_purge")
            }
            // A plain sleep would hold shutdown up for a minute: this one ends with it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}

/// The first service to hear of shutdown: /ready fails at once, and the
/// server keeps answering in-flight requests a moment longer.
struct ReadinessService: Service {
    let deps: Dependencies
    let grace: Duration

    func run() async throws {
        try? await gracefulShutdown()
        deps.draining.store(true, ordering: .relaxed)
        try? await Task.sleep(for: grace)
    }
}

/// Checkpoints the WAL every half second off the write path (the server's
/// store has automatic checkpoints off, so no request's commit pays for one).
struct CheckpointService: Service {
    let deps: Dependencies
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await checkpoint()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
        await checkpoint()
    }

    private func checkpoint() async {
        let store = deps.store
        do { try await deps.pool.run { try store.checkpoint() } } catch {
            logger.warning("WAL checkpoint failed; the next one starts over", metadata: ["error": "\(error)"])
            deps.metrics.failure("checkpoint")
        }
    }
}
