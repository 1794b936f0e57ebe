import Foundation
import Logging
import ServiceLifecycle
import VitrineStore

/// Deletes finished jobs (and originals no product uses) and old tombstones after the
/// retention period, every minute.
public struct RetentionService: Service {
    let jobs: any JobQueue
    let pool: WorkPool
    let retention: TimeInterval
    let logger: Logger
    let onFailure: @Sendable (String) -> Void

    /// A service purging what finished more than `retention` seconds ago.
    public init(jobs: any JobQueue, pool: WorkPool, retention: TimeInterval, logger: Logger,
                onFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.jobs = jobs
        self.pool = pool
        self.retention = retention
        self.logger = logger
        self.onFailure = onFailure
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let jobs = self.jobs, cutoff = Date().addingTimeInterval(-retention)
            do {
                let purged = try await pool.run { try jobs.purge(finishedBefore: cutoff) }
                if purged.jobs + purged.tombstones > 0 {
                    logger.info("purged \(purged.jobs) finished jobs and \(purged.tombstones) tombstones")
                }
            } catch {
                logger.error("retention purge failed; it is tried again in a minute", metadata: ["error": "\(error)"])
                onFailure("retention_purge")
            }
            // A plain sleep would hold shutdown up for a minute: this one ends with it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
