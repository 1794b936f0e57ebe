import Logging
import ServiceLifecycle

/// Job workers as one `Service`: each worker a child task of the service, processing
/// batches until graceful shutdown, when each finishes the batch in hand (idle ones
/// are woken to stop at once). The server runs it with its in-process workers, and
/// `vitrine worker` with one.
public struct JobWorkerService: Service {
    /// The workers.
    public let workers: [JobWorker]
    /// Signalled when jobs are enqueued in this process, so idle workers start at once.
    public let wakeup: Wakeup
    /// How long an idle worker waits before it looks at the queue again (other processes enqueue too).
    public let idleWait: Duration
    let logger: Logger

    /// A service running `workers`.
    public init(workers: [JobWorker], wakeup: Wakeup = Wakeup(), idleWait: Duration = .milliseconds(50), logger: Logger) {
        self.workers = workers
        self.wakeup = wakeup
        self.idleWait = idleWait
        self.logger = logger
    }

    public func run() async throws {
        // A service that returns ends the whole group: with no workers, just wait for shutdown.
        guard !workers.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let stop = StopFlag()
        let wakeup = self.wakeup, count = workers.count
        logger.info("started \(count) job workers")
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask { await worker.run(until: stop, wakeup: wakeup, idleWait: idleWait) }
                }
            }
        } onGracefulShutdown: {
            stop.stop()
            wakeup.signal(count)
        }
        logger.info("job workers stopped")
    }
}
