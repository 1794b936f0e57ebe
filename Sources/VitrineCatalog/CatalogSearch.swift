import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Search over a store: by text, by image, or for products like one already stored.
/// Candidates come from a live ``SearchIndex``; they are re-ranked with the vectors the
/// store holds now, so a product deleted, replaced or re-embedded since the index last
/// caught up is scored as it now is, or left out.
public struct CatalogSearch: Sendable {
    /// Where the products are.
    public let store: any ProductStore
    /// The model that embeds queries (must be the one that made the stored vectors).
    public let model: EmbeddingModel
    /// How query images are decoded.
    public let images: ImagePipeline

    /// Creates a search over `store`.
    public init(store: any ProductStore, model: EmbeddingModel, images: ImagePipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)) {
        self.store = store
        self.model = model
        self.images = images
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
        let pixels: PixelBuffer
        do { pixels = try images.pixels(imageBytes) } catch {
            throw CatalogError(.invalidRequest, "the query image cannot be used: \(error.description)")
        }
        return try search(model.embedImage(pixels).vector, in: index, kind: kind, k: k, excluding: nil)
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

    /// Top-k for a query vector, re-ranked with the current stored vectors of this model.
    public func search(_ query: [Float], in index: SearchIndex, kind: VectorKind, k: Int, excluding: String?) throws(CatalogError) -> [SearchHit] {
        let store = self.store, modelID = model.id
        do {
            return try index.search(query, k: k, excluding: excluding) { rows in
                try store.vectors(kind, rowIDs: rows).filter { $0.value.model == modelID }
            }
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
    }
}
