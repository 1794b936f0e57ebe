import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Search over a store: by text, by image, or for products like one already stored.
public struct CatalogSearch: Sendable {
    /// Where the products are.
    public let store: any ProductStore
    /// The model that embeds queries (must be the one that made the stored vectors).
    public let model: EmbeddingModel

    /// Creates a search over `store`.
    public init(store: any ProductStore, model: EmbeddingModel) {
        self.store = store
        self.model = model
    }

    /// Loads every stored vector of `kind` into a compact in-memory index.
    /// Vectors made by another model are left out (`vitrine reindex` updates them).
    public func loadIndex(_ kind: VectorKind) throws(CatalogError) -> SearchIndex {
        let index = SearchIndex(dimension: ModelSpec.dimension)
        do {
            let expected = try store.count()
            index.reserve(expected)
            try store.forEachVector(kind) { stored in
                guard stored.model == model.id, stored.vector.count == ModelSpec.dimension else { return }
                index.append(rowID: stored.rowID, productID: stored.productID, name: stored.name, vector: stored.vector)
            }
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
        return index
    }

    /// The `k` products nearest a text query.
    public func search(text: String, in index: SearchIndex, kind: VectorKind, k: Int) throws(CatalogError) -> [SearchHit] {
        let query: Embedding
        do { query = try model.embedText(text) } catch {
            throw CatalogError(.invalidRequest, "the query has no words to search for")
        }
        return try search(query.vector, in: index, kind: kind, k: k, excluding: nil)
    }

    /// The `k` products nearest an image (decoded from its bytes).
    public func search<Bytes: ContiguousBytes>(imageBytes: Bytes, in index: SearchIndex, kind: VectorKind, k: Int) throws(CatalogError) -> [SearchHit] {
        let query: Embedding
        do { query = try model.embedImage(bytes: imageBytes) } catch {
            throw CatalogError(.invalidRequest, "the query image cannot be used: \(error.description)")
        }
        return try search(query.vector, in: index, kind: kind, k: k, excluding: nil)
    }

    /// The `k` products most like a stored one (itself excluded), comparing vectors of `kind`.
    public func similar(to productID: String, in index: SearchIndex, kind: VectorKind, k: Int) throws(CatalogError) -> [SearchHit] {
        let record: ProductRecord?
        do { record = try store.product(id: productID) } catch { throw CatalogError(error) }
        guard let record else { throw CatalogError(.notFound, "no product \(productID) in the store") }
        let vector: [Float]?
        switch kind {
        case .fused: vector = record.fused
        case .text: vector = record.text
        case .image: vector = record.image
        }
        guard let vector else {
            throw CatalogError(.invalidRequest, "product \(productID) has no image, so it has no \(kind.rawValue) vector")
        }
        return try search(vector, in: index, kind: kind, k: k, excluding: productID)
    }

    /// Top-k for a query vector, re-ranked with the exact stored vectors.
    public func search(_ query: [Float], in index: SearchIndex, kind: VectorKind, k: Int, excluding: String?) throws(CatalogError) -> [SearchHit] {
        let store = self.store
        do {
            return try index.search(query, k: k, excluding: excluding) { positions in
                let rows = positions.map { index.rowID(at: $0) }
                let vectors = try store.vectors(kind, rowIDs: rows)
                return rows.map { vectors[$0] ?? [Float](repeating: 0, count: ModelSpec.dimension) }
            }
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
    }
}

extension SearchIndex {
    /// The store row of the vector at `position`.
    public func rowID(at position: Int) -> Int64 { rowIDs[position] }
    /// The product id of the vector at `position`.
    public func productID(at position: Int) -> String { productIDs[position] }
    /// The name of the product at `position`.
    public func name(at position: Int) -> String { names[position] }
}
