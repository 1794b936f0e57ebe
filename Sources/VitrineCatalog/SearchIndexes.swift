import Foundation
import Synchronization
import VitrineStore

/// A process's live search indexes, one per vector kind, each opened the first time it is
/// needed (from its snapshot when there is one) and kept current from the change feed:
/// by ``refresh()`` (the server's refresh service calls it a few times a second, so an
/// idle index is current too), and by the search itself when its index was last brought
/// up to date longer ago than ``staleness`` or a write of this process has made it stale
/// — so a process searches its own writes at once, and any process's within a second.
public final class SearchIndexes: Sendable {
    /// The feed the indexes follow.
    public let feed: any ChangeFeed
    /// The model whose vectors they hold.
    public let modelID: String
    /// Where snapshots are kept (`<kind>.vindex`); nil keeps none.
    public let snapshots: URL?
    /// How old an index's last check of the feed may be when a search uses it.
    public let staleness: Duration

    private struct Entry {
        var live: LiveIndex
        var checked: ContinuousClock.Instant
    }
    private let entries = Mutex<[VectorKind: Entry]>([:])
    private let opening = Mutex<Void>(())
    private let dirty = Atomic<Bool>(false)

    /// Indexes over `feed` for `modelID`.
    public init(feed: any ChangeFeed, modelID: String, snapshots: URL? = nil, staleness: Duration = .milliseconds(100)) {
        self.feed = feed
        self.modelID = modelID
        self.snapshots = snapshots
        self.staleness = staleness
    }

    /// The index of `kind`, current to within ``staleness``.
    public func index(_ kind: VectorKind) throws(CatalogError) -> SearchIndex {
        let live = try open(kind)
        let now = ContinuousClock.now
        let stale = dirty.load(ordering: .relaxed) || entries.withLock { now - ($0[kind]?.checked ?? now) > staleness }
        // A search does not wait for a refresh or a snapshot already in progress: it uses the index as it is.
        if stale, try live.refreshIfIdle(starting: { dirty.store(false, ordering: .relaxed) }) != nil {
            entries.withLock { $0[kind]?.checked = now }
        }
        return live.index
    }

    /// The live index of `kind`, opened if needed (one opening at a time).
    public func open(_ kind: VectorKind) throws(CatalogError) -> LiveIndex {
        if let entry = entries.withLock({ $0[kind] }) { return entry.live }
        return try opening.withLock { _ throws(CatalogError) -> LiveIndex in
            if let entry = entries.withLock({ $0[kind] }) { return entry.live }
            let live = try LiveIndex(kind: kind, modelID: modelID, feed: feed,
                                     snapshot: snapshots?.appendingPathComponent("\(kind.rawValue).vindex"))
            entries.withLock { $0[kind] = Entry(live: live, checked: .now) }
            return live
        }
    }

    /// Tells the indexes that this process has written: the next search brings its index up to date first.
    public func invalidate() {
        dirty.store(true, ordering: .relaxed)
    }

    /// Brings every open index up to date; returns the changes applied.
    @discardableResult
    public func refresh() throws(CatalogError) -> Int {
        var applied = 0
        for live in entries.withLock({ $0.values.map(\.live) }) { applied += try refresh(live, at: .now) }
        return applied
    }

    @discardableResult
    private func refresh(_ live: LiveIndex, at now: ContinuousClock.Instant) throws(CatalogError) -> Int {
        dirty.store(false, ordering: .relaxed)
        let applied = try live.refresh()
        entries.withLock { $0[live.kind]?.checked = now }
        return applied
    }

    /// Each open index's kind, products held and feed position (for metrics).
    public var status: [(kind: VectorKind, products: Int, position: Int64)] {
        entries.withLock { $0.values.map(\.live) }.map { ($0.kind, $0.index.count, $0.position) }
    }

    /// Saves the snapshot of every open index that changed by at least `minimumChanges` since its
    /// last; true when any was written.
    @discardableResult
    public func saveSnapshots(minimumChanges: Int = 1) throws(CatalogError) -> Bool {
        var saved = false
        for live in entries.withLock({ $0.values.map(\.live) }) where try live.saveSnapshot(minimumChanges: minimumChanges) {
            saved = true
        }
        return saved
    }
}
