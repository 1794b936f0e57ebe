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
        var computation: SharedResult<DuplicatePairs>
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
        let computation = state.withLock { entry -> SharedResult<DuplicatePairs> in
            if let current = entry, current.position == position || !current.finished { return current.computation }
            computed.add(1, ordering: .relaxed)
            // Computed on the pool and handed to every caller waiting: no unstructured task, whose
            // start would wait for a thread of the cooperative pool (a test process's other tests
            // can hold both for long: GET /duplicates once went unanswered for 60 s so).
            let computation = SharedResult<DuplicatePairs>()
            pool.submit {
                computation.finish(Result { try DuplicatePairs(in: store, finder: DuplicateFinder(threshold: Self.floor)) })
            }
            entry = Entry(position: position, computation: computation, finished: false)
            return computation
        }
        do {
            let pairs = try await APIError.mapping { try await computation.value() }
            state.withLock { if $0?.position == position { $0?.finished = true } }
            return pairs
        } catch {
            // A failed computation is not kept: the next caller tries again.
            state.withLock { if $0?.position == position { $0 = nil } }
            throw error
        }
    }
}

/// A result computed once and awaited by any number of callers.
final class SharedResult<Value: Sendable>: Sendable {
    private let state = Mutex<(result: Result<Value, any Error>?, waiting: [CheckedContinuation<Value, any Error>])>((nil, []))

    /// Hands `result` to every caller waiting and to every later one.
    func finish(_ result: Result<Value, any Error>) {
        let waiting = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            state.result = result
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(with: result) }
    }

    /// The result, once there is one.
    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<Value, any Error>? in
                if let result = state.result { return result }
                state.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
