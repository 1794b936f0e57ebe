import Logging
import ServiceLifecycle
import VitrineStore

/// Keeps a process's search indexes current: opens the `warm` kinds at start (from their
/// snapshots when valid), then applies the change feed every `interval` — so writes made
/// by any process are searchable within a second even when nobody searches — or as soon as
/// `wakeup` is signalled (a store notification: a product changed on another host), and saves
/// snapshots when enough has changed (at most every `snapshotInterval`), and at shutdown.
public struct IndexRefreshService: Service {
    let indexes: SearchIndexes
    let pool: WorkPool
    let interval: Duration
    let warm: [VectorKind]
    let snapshotEvery: Int
    let snapshotInterval: Duration
    let wakeup: Wakeup?
    let logger: Logger
    let onFailure: @Sendable (String) -> Void

    /// A service refreshing `indexes` every `interval` on `pool`, saving a snapshot of an index
    /// once `snapshotEvery` changes were applied to it, at most every `snapshotInterval`.
    public init(indexes: SearchIndexes, pool: WorkPool, interval: Duration = .milliseconds(200), warm: [VectorKind] = [.fused],
                snapshotEvery: Int = 50_000, snapshotInterval: Duration = .seconds(300), wakeup: Wakeup? = nil,
                logger: Logger, onFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.wakeup = wakeup
        self.snapshotInterval = snapshotInterval
        self.indexes = indexes
        self.pool = pool
        self.interval = interval
        self.warm = warm
        self.snapshotEvery = snapshotEvery
        self.logger = logger
        self.onFailure = onFailure
    }

    public func run() async throws {
        let indexes = self.indexes, snapshotEvery = self.snapshotEvery
        for kind in warm {
            do {
                let count = try await pool.run { try indexes.open(kind).index.count }
                logger.info("search index \(kind.rawValue): \(count) products")
            } catch {
                logger.error("cannot open the \(kind.rawValue) search index; searches will try again", metadata: ["error": "\(error)"])
                onFailure("index_open")
            }
        }
        // The first snapshot (of an index read from the store) is due at once; later ones wait their interval.
        var lastSnapshot = ContinuousClock.now - snapshotInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let snapshotDue = ContinuousClock.now - lastSnapshot >= snapshotInterval
            do {
                let saved = try await pool.run { () throws -> Bool in
                    try indexes.refresh()
                    guard snapshotDue else { return false }
                    return try indexes.saveSnapshots(minimumChanges: snapshotEvery)
                }
                if saved { lastSnapshot = .now }
            } catch {
                logger.warning("search index refresh failed; it is tried again", metadata: ["error": "\(error)"])
                onFailure("index_refresh")
                // Not woken early while the store fails: one try an interval.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                continue
            }
            if let wakeup {
                // Notified refreshes are at most one every 20 ms, however fast writes arrive.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(20)) }
                try? await cancelWhenGracefulShutdown { await wakeup.wait(upTo: interval) }
            } else {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        }
        do { try await pool.run { try indexes.saveSnapshots() } } catch {
            logger.warning("cannot save the search index snapshots", metadata: ["error": "\(error)"])
        }
    }
}
