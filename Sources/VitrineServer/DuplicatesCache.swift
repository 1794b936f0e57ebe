import Foundation
import Synchronization
import VitrineCatalog
import VitrineStore

/// Near-duplicate pairs computed once per position of the change feed, at the floor
/// threshold, and shared by every caller; each request only groups the cached
/// pairs at its own threshold. At most one computation runs at a time: callers
/// that come while it runs wait for it, even when the store has changed since.
final class DuplicatesCache: Sendable {
    /// The lowest threshold a caller may ask for: below it, pairs grow towards n².
    static let floor: Float = 0.8

    private struct Entry {
        var position: Int64
        var task: Task<DuplicatePairs, Error>
        var finished: Bool
    }

    private let store: any ProductStore
    private let feed: any ChangeFeed
    private let pool: WorkPool
    private let state = Mutex<Entry?>(nil)
    private let computed = Atomic<Int>(0)

    /// Computations started so far.
    var computations: Int { computed.load(ordering: .relaxed) }

    init(store: any ProductStore, feed: any ChangeFeed, pool: WorkPool) {
        self.store = store
        self.feed = feed
        self.pool = pool
    }

    /// The groups at `threshold` among the products of `index` that match `filter`.
    func groups(at threshold: Float, among index: SearchIndex, filter: Filter) async throws -> [DuplicateGroup] {
        try await pairs().groups(at: threshold, among: index, filter: filter)
    }

    /// The groups at `threshold` (at least ``floor``).
    func groups(at threshold: Float) async throws -> [DuplicateGroup] {
        try await pairs().groups(at: threshold)
    }

    /// The pairs of the store's current state.
    private func pairs() async throws -> DuplicatePairs {
        let store = self.store, feed = self.feed, pool = self.pool
        let position = try await pool.api { try feed.position() }
        let task = state.withLock { entry -> Task<DuplicatePairs, Error> in
            if let current = entry, current.position == position || !current.finished { return current.task }
            computed.add(1, ordering: .relaxed)
            let task = Task { () throws -> DuplicatePairs in
                try await pool.api { try DuplicatePairs(in: store, finder: DuplicateFinder(threshold: Self.floor)) }
            }
            entry = Entry(position: position, task: task, finished: false)
            return task
        }
        do {
            let pairs = try await task.value
            state.withLock { if $0?.position == position { $0?.finished = true } }
            return pairs
        } catch {
            // A failed computation is not kept: the next caller tries again.
            state.withLock { if $0?.position == position { $0 = nil } }
            throw error
        }
    }
}
