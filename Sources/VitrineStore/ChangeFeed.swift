import Foundation

/// What changed in a store after a position, in the order it changed: how a search
/// index (in any process, on any host) follows the store without reloading it. Every
/// write of a product — an upsert, a job's completion, a re-embedding, a delete — takes
/// a new, larger position; a product appears once per page, as its newest state.
/// See README.md in this folder ("The change feed").
public protocol ChangeFeed: Sendable {
    /// The position of the newest write (0 for an empty store). Cheap: callers poll it.
    func position() throws(StoreError) -> Int64

    /// Up to `limit` changes after `position`, oldest first, with the vectors of `kind`; a page that
    /// ``FeedPage/startsOver`` when deletions after `position` may have been purged.
    func changes(after position: Int64, kind: VectorKind, limit: Int) throws(StoreError) -> FeedPage

    /// Every stored product with its vector of `kind` (those without one are skipped), read as of one
    /// moment, streamed without holding them all; returns the feed position that state is current to
    /// (reading on from it with ``changes(after:kind:limit:)`` misses nothing). How a reader starts.
    func currentProducts(_ kind: VectorKind, _ body: (FeedChange) throws -> Void) throws -> Int64

    /// A name for this store that differs from every other store's (a snapshot of an
    /// index is only valid for the store it was taken from).
    func identity() throws(StoreError) -> String
}

/// One change: a product as it now is, or its removal.
public struct FeedChange: Sendable, Equatable {
    /// The change's position (increasing).
    public var position: Int64
    /// The product.
    public var productID: String
    /// Its row and vector of the page's kind; nil when it was deleted, or has no vector of that kind now.
    public var entry: FeedEntry?

    /// Creates a change.
    public init(position: Int64, productID: String, entry: FeedEntry?) {
        self.position = position
        self.productID = productID
        self.entry = entry
    }
}

/// A product's vector of one kind, as the feed gives it.
public struct FeedEntry: Sendable, Equatable {
    /// The store's row for the product (stable while it exists).
    public var rowID: Int64
    /// The model that made the vector.
    public var model: String
    /// The vector.
    public var vector: [Float]
    /// The product's attributes (from its metadata), for filters and facets.
    public var attributes: ProductAttributes

    /// Creates an entry.
    public init(rowID: Int64, model: String, vector: [Float], attributes: ProductAttributes = .none) {
        self.rowID = rowID
        self.model = model
        self.vector = vector
        self.attributes = attributes
    }
}

/// One page of the feed.
public struct FeedPage: Sendable {
    /// The changes, oldest first.
    public var changes: [FeedChange]
    /// The position to ask from next: the last change's, or the one asked from when there were none.
    public var position: Int64
    /// True when the position asked from is older than what the feed still knows (deletions after
    /// it were purged after the retention period): the reader must start over from
    /// ``ChangeFeed/currentProducts(_:_:)`` with an empty index. The page is then empty.
    public var startsOver: Bool

    /// Creates a page.
    public init(changes: [FeedChange], position: Int64, startsOver: Bool = false) {
        self.changes = changes
        self.position = position
        self.startsOver = startsOver
    }
}
