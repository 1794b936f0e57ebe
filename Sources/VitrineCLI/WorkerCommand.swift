import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import VitrineCatalog
import VitrineServer
import VitrineStore

/// `vitrine worker --worker-id w1`: processes with-image indexing jobs from the database.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Process queued image-indexing jobs from the database until stopped (SIGTERM or Ctrl-C).",
        discussion: "Any number of workers, in any number of processes, can share one database. A worker that dies loses its jobs' leases, and other workers take them over.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @Option(help: "This worker's name, as shown in the jobs; one process at a time (a restarted worker takes back its jobs at once).")
    var workerID: String = "worker-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(help: "Seconds a claimed job stays reserved without renewal; renewed five times a lease (default 3, or $VITRINE_JOB_LEASE).")
    var lease: Double?

    func validate() throws {
        if let lease, lease < 1 { throw ValidationError("--lease must be at least 1 second") }
        if workerID.isEmpty { throw ValidationError("--worker-id must not be empty") }
    }

    /// The lease: the flag, then the environment, then the default.
    func leaseSeconds() throws -> Double {
        let seconds = try Setting.value(lease, "VITRINE_JOB_LEASE", JobWorker.defaultLease)
        guard seconds >= 1 else { throw ValidationError("the lease must be at least 1 second") }
        return seconds
    }

    /// The worker's service tree: one ServiceGroup with the job worker and the WAL checkpoints;
    /// SIGTERM or Ctrl-C (caught from the very start, so a worker stopped while it starts exits
    /// cleanly) shuts it down gracefully: the batch in hand is finished, the WAL checkpointed.
    func run() async throws {
        let stop = StopFlag(), stopped = Wakeup()
        let signals = Interruption.install(stop, message: "stopping after the current batch of jobs…") { stopped.signal() }
        defer { signals.forEach { $0.cancel() } }
        let storage = try store.open(automaticCheckpoints: false, waitSeconds: 60, stopped: { stop.isSet })
        let logger = Logger(label: "vitrine-worker") { LineLogHandler(label: $0, level: .info) }
        let pool = WorkPool(threads: 2, name: "vitrine-worker")
        let worker = JobWorker(queue: storage.jobs, embedder: ProductEmbedder(model: try model.load(), images: try limits.pipeline()),
                               workerID: workerID, lease: try leaseSeconds(), pool: pool)
        // A worker id names one process at a time: what an earlier process of this name held
        // (it was killed) is given to the next claim now rather than when its lease runs out.
        let reclaimed: Int
        do throws(StoreError) { reclaimed = try storage.jobs.reclaim(workerID: workerID) } catch { throw CLIError(error.description) }
        if reclaimed > 0 {
            FileHandle.standardError.write(Data("worker \(workerID): took back \(reclaimed) jobs an earlier process of this name held\n".utf8))
        }
        if stop.isSet { return }
        FileHandle.standardError.write(Data("worker \(workerID): processing jobs from \(storage.location)\n".utf8))
        // With PostgreSQL, enqueues anywhere wake the worker (LISTEN/NOTIFY); it polls once a second as a fallback.
        let wakeup = Wakeup()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: JobWorkerService(workers: [worker], wakeup: wakeup,
                                            idleWait: storage.notifications == nil ? .milliseconds(50) : .seconds(1), logger: logger)),
            .init(service: CheckpointService(store: storage.products, pool: pool, logger: logger)),
        ]
        if let notifications = storage.notifications {
            services.insert(.init(service: NotificationService(notifications: notifications, workers: wakeup, workerCount: 1,
                                                               indexes: nil, logger: logger)), at: 0)
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                while !stop.isSet && !Task.isCancelled { await stopped.wait(upTo: .seconds(60)) }
                await group.triggerGracefulShutdown()
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        FileHandle.standardError.write(Data("worker \(workerID): stopped\n".utf8))
    }
}
