import Foundation

/// Where products and their vectors live. The pipeline (indexing, search,
/// the API) sees only this protocol, so another engine can replace SQLite
/// without touching it.
public protocol ProductStore: Sendable {
    /// Inserts or replaces products, all in one transaction (all or none).
    /// A replaced product keeps its creation time.
    func upsert(_ products: [ProductRecord]) throws(StoreError)

    /// The product with this id, or nil.
    func product(id: String) throws(StoreError) -> ProductRecord?

    /// The thumbnail of the product with this id, or nil (no such product, or no image).
    func thumbnail(productID: String) throws(StoreError) -> StoredThumbnail?

    /// Deletes a product, leaving a tombstone at the delete's place in the write order, so that
    /// no older write (a job queued before the delete) brings it back; a newer write creates it
    /// again. False when there was nothing to delete: no product and no pending job for it.
    func delete(id: String) throws(StoreError) -> Bool

    /// The write position of the product's tombstone, when it was deleted (and not written since).
    func tombstone(productID: String) throws(StoreError) -> Int64?

    /// The bytes of an uploaded image kept for re-embedding, by SHA-256; nil when none is kept.
    func originalImage(digest: String) throws(StoreError) -> Data?

    /// The stored products among `ids` (read with their ``ProductRecord/sequence``).
    func products(ids: [String]) throws(StoreError) -> [String: ProductRecord]

    /// Writes re-embedded records in place — each only if its product is still the write it was
    /// read as (``ProductRecord/sequence``), keeping that place in the write order; one
    /// transaction. True for each record written, false for one written or deleted meanwhile.
    func replace(_ products: [ProductRecord]) throws(StoreError) -> [Bool]

    /// Number of stored products.
    func count() throws(StoreError) -> Int

    /// The stored fingerprints of those of `ids` that exist.
    func fingerprints(for ids: [String]) throws(StoreError) -> [String: ProductFingerprint]

    /// Counts by model and image presence, and the database's size.
    func stats() throws(StoreError) -> StoreStats

    /// Streams every stored vector of `kind`, in row order (products without
    /// that vector are skipped), without holding them all in memory.
    func forEachVector(_ kind: VectorKind, _ body: (StoredVector) throws -> Void) throws

    /// The exact vectors of `kind` of the given rows, with their products' ids, names and models,
    /// as they are now (for re-ranking search candidates); a row deleted since is absent.
    func vectors(_ kind: VectorKind, rowIDs: [Int64]) throws(StoreError) -> [Int64: StoredVector]

    /// The products the database's full-text index ranks best for `query` over name, description
    /// and metadata (best first, at most `limit`); only among `rowIDs` when given (a filter's matches).
    func lexicalMatches(_ query: LexicalQuery, among rowIDs: [Int64]?, limit: Int) throws(StoreError) -> [LexicalMatch]

    /// Housekeeping a long-running process does off the write path (SQLite copies its
    /// write-ahead log back into the database file); an engine without any does nothing.
    func checkpoint() throws(StoreError)

    /// Ids of products whose model differs from `model` (every product when nil), in row order.
    func productIDs(withModelOtherThan model: String?) throws(StoreError) -> [String]
}
