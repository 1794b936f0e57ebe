import Logging
import ServiceLifecycle
import VitrineStore

/// The store's housekeeping off the write path (SQLite: WAL checkpoints every half
/// second, since the long-running processes turn automatic checkpoints off so no
/// request's commit pays for one), and once more at shutdown.
public struct CheckpointService: Service {
    let store: any ProductStore
    let pool: WorkPool
    let interval: Duration
    let logger: Logger
    let onFailure: @Sendable (String) -> Void

    /// A service checkpointing `store` every `interval` on `pool`; `onFailure` counts failures.
    public init(store: any ProductStore, pool: WorkPool, interval: Duration = .milliseconds(500), logger: Logger,
                onFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.pool = pool
        self.interval = interval
        self.logger = logger
        self.onFailure = onFailure
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await checkpoint()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await checkpoint()
    }

    private func checkpoint() async {
        let store = self.store
        do { try await pool.run { try store.checkpoint() } } catch {
            logger.warning("WAL checkpoint failed; the next one starts over", metadata: ["error": "\(error)"])
            onFailure("checkpoint")
        }
    }
}
