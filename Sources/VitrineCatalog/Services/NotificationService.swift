import Logging
import ServiceLifecycle
import VitrineStore

/// Hears a store's notifications (PostgreSQL's LISTEN/NOTIFY) and wakes what waits for them:
/// idle job workers when jobs are enqueued anywhere, the search indexes when products change
/// anywhere. When the connection is lost (PostgreSQL restarts) it listens again every second;
/// meanwhile the workers and the indexes poll as they always do, so nothing is missed.
public struct NotificationService: Service {
    let notifications: any StoreNotifications
    let workers: Wakeup
    let workerCount: Int
    let indexes: Wakeup?
    let logger: Logger

    /// A service waking up to `workerCount` idle workers through `workers`, and the index refresh through `indexes`.
    public init(notifications: any StoreNotifications, workers: Wakeup, workerCount: Int, indexes: Wakeup?, logger: Logger) {
        self.notifications = notifications
        self.workers = workers
        self.workerCount = max(1, workerCount)
        self.indexes = indexes
        self.logger = logger
    }

    public func run() async throws {
        let workers = self.workers, count = workerCount, indexes = self.indexes
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await notifications.listen { notice in
                        switch notice {
                        case .jobs: workers.signal(count)
                        case .changes: indexes?.signal()
                        }
                    }
                }
            } catch {
                if !failing { logger.warning("store notifications lost; listening again every second", metadata: ["error": "\(error)"]) }
                failing = true
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                continue
            }
            failing = false
        }
    }
}
