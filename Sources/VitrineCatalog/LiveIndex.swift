import Foundation
import Synchronization
import VitrineEmbedding
import VitrineStore

/// A ``SearchIndex`` of one vector kind that follows the store's ``ChangeFeed``: it
/// starts from a snapshot when there is a valid one (else from position 0), and each
/// ``refresh()`` applies in place what changed since its position — upserts, job
/// completions, re-embeddings and deletions made by any process. Searches go on while
/// it refreshes; when the feed says its position is too old (deletions purged), a new
/// index is built from the start beside the old one, which answers until it is ready.
public final class LiveIndex: Sendable {
    /// Which vectors.
    public let kind: VectorKind
    /// The model whose vectors it holds (others are left out until `vitrine reindex`).
    public let modelID: String
    private let feed: any ChangeFeed
    private let snapshotURL: URL?
    private let identity: String
    private struct State {
        var index: SearchIndex
        var position: Int64
        var changesSinceSnapshot: Int
    }
    private let state: Mutex<State>
    /// One refresh at a time (a refresh may run long: a rebuild).
    private let refreshing = Mutex<Void>(())

    /// Changes read from the feed per page (and applied per lock of the index).
    public static let pageSize = 2_048

    /// Opens the index of `kind`: from the snapshot at `snapshot` when it is one for this store and
    /// model, then caught up with the feed.
    public init(kind: VectorKind, modelID: String, feed: any ChangeFeed, snapshot: URL? = nil) throws(CatalogError) {
        self.kind = kind
        self.modelID = modelID
        self.feed = feed
        snapshotURL = snapshot
        do { identity = try feed.identity() } catch { throw CatalogError(error) }
        let header = IndexSnapshot.Header(store: identity, model: modelID, kind: kind, dimension: ModelSpec.dimension, position: 0)
        if let snapshot, let saved = IndexSnapshot.load(from: snapshot, expected: header) {
            state = Mutex(State(index: saved.index, position: saved.position, changesSinceSnapshot: 0))
        } else {
            // No snapshot: the store's current products; everything read is new to the next snapshot.
            let (index, position) = try Self.load(kind: kind, modelID: modelID, feed: feed)
            state = Mutex(State(index: index, position: position, changesSinceSnapshot: Int.max / 2))
        }
        try refresh()
    }

    /// A new index of every current product, and the position it is current to.
    private static func load(kind: VectorKind, modelID: String, feed: any ChangeFeed) throws(CatalogError) -> (SearchIndex, Int64) {
        let index = SearchIndex(dimension: ModelSpec.dimension)
        var batch: [FeedChange] = []
        batch.reserveCapacity(pageSize)
        do {
            let position = try feed.currentProducts(kind) { change in
                batch.append(change)
                if batch.count == pageSize {
                    index.apply(batch, model: modelID)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            index.apply(batch, model: modelID)
            return (index, position)
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
    }

    /// The index to search now.
    public var index: SearchIndex { state.withLock { $0.index } }

    /// The feed position the index has applied.
    public var position: Int64 { state.withLock { $0.position } }

    /// Applies what changed since the index's position; returns how many changes. When the feed
    /// says the position is too old, a new index is loaded beside the current one and replaces it.
    @discardableResult
    public func refresh() throws(CatalogError) -> Int {
        try refreshing.withLock { _ throws(CatalogError) -> Int in try catchUp() }
    }

    /// ``refresh()`` unless another refresh or a snapshot is in progress (a search does not wait
    /// for one): nil then. `starting` runs once the refresh has begun.
    public func refreshIfIdle(starting: () -> Void = {}) throws(CatalogError) -> Int? {
        try refreshing.withLockIfAvailable { _ throws(CatalogError) -> Int in
            starting()
            return try catchUp()
        }
    }

    /// The refresh itself (the caller holds `refreshing`).
    private func catchUp() throws(CatalogError) -> Int {
        let kind = self.kind, modelID = self.modelID, feed = self.feed
        var (index, position) = state.withLock { ($0.index, $0.position) }
        let head: Int64
        do throws(StoreError) { head = try feed.position() } catch { throw CatalogError(error) }
        guard head != position else { return 0 }
        var applied = 0, rebuilt = false
        while true {
            let page: FeedPage
            do throws(StoreError) { page = try feed.changes(after: position, kind: kind, limit: Self.pageSize) } catch {
                throw CatalogError(error)
            }
            if page.startsOver {
                guard !rebuilt else { break } // a purge during the rebuild itself: the next refresh sees it
                (index, position) = try Self.load(kind: kind, modelID: modelID, feed: feed)
                applied += index.count
                rebuilt = true
                continue
            }
            index.apply(page.changes, model: modelID)
            applied += page.changes.count
            position = page.position
            if !rebuilt { state.withLock { [position] in $0.position = position } }
            if page.changes.count < Self.pageSize { break }
        }
        let fresh = index, reached = position, changes = applied
        state.withLock {
            if rebuilt { $0.index = fresh }
            $0.position = reached
            $0.changesSinceSnapshot = $0.changesSinceSnapshot &+ changes
        }
        return applied
    }

    /// Saves a snapshot when at least `minimumChanges` changes were applied since the last one
    /// (or none was read); true when one was written. Without a snapshot location, does nothing.
    @discardableResult
    public func saveSnapshot(minimumChanges: Int = 1) throws(CatalogError) -> Bool {
        guard let snapshotURL else { return false }
        // The contents and their position are read together (no refresh meanwhile); the file is
        // written after, while refreshes go on.
        let encoded = refreshing.withLock { _ -> Data? in
            let (index, position, changes) = state.withLock { ($0.index, $0.position, $0.changesSinceSnapshot) }
            guard changes >= minimumChanges else { return nil }
            let header = IndexSnapshot.Header(store: identity, model: modelID, kind: kind, dimension: ModelSpec.dimension,
                                              position: position)
            state.withLock { $0.changesSinceSnapshot = 0 }
            return IndexSnapshot.encode(index, header: header)
        }
        guard let encoded else { return false }
        try IndexSnapshot.write(encoded, to: snapshotURL)
        return true
    }
}
