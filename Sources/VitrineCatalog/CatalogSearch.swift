import Foundation
import Synchronization
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

    /// How many of an image query's best candidates are compared as copies (``copies(of:in:k:)``).
    public static let copyCandidates = 48
    /// How many of those are compared more finely (the best by the coarse comparison).
    public static let refinedCandidates = 4
    /// How many candidates each region located in a query image adds.
    static let locatedCandidates = 8

    /// The `k` products nearest an image (decoded from its bytes). Comparing images with
    /// images (`.image`), the best candidates are compared as copies too: see ``copies(of:in:k:)``.
    public func search<Bytes: ContiguousBytes>(imageBytes: Bytes, in index: SearchIndex, kind: VectorKind, k: Int) throws(CatalogError) -> [SearchHit] {
        let pixels: PixelBuffer
        do { pixels = try images.pixels(imageBytes) } catch {
            throw CatalogError(.invalidRequest, "the query image cannot be used: \(error.description)")
        }
        if kind == .image { return try copies(of: pixels, in: index, k: k) }
        return try search(model.embedImage(pixels).vector, in: index, kind: kind, k: k, excluding: nil)
    }

    /// Image search that recognises copies. Candidates: the products nearest the whole query,
    /// and those nearest each region ``ImageViews`` locates in it (a photo on a canvas, each
    /// photo of a collage), looked up whole. Each scores its exact cosine to the query; the
    /// best ``copyCandidates`` then score the best match of the query's views with views of
    /// their stored thumbnail when that is higher (a crop, a window, a rotation, a banner) — so
    /// a product's score is the cosine of the query's and its photo's best-matching parts, and
    /// never below that of the wholes. The thumbnails are read and compared on every core.
    public func copies(of pixels: PixelBuffer, in index: SearchIndex, k: Int) throws(CatalogError) -> [SearchHit] {
        guard k > 0 else { return [] }
        let query = model.embedImage(pixels).vector
        let views = ImageViews(query: pixels, model: model)
        let located = views.located.map { model.embedImage($0.pixels(of: pixels)).vector }
        var rows = Set<Int64>()
        for candidate in index.candidates(query, k: k, keep: max(k, Self.copyCandidates)) { rows.insert(candidate.rowID) }
        for vector in located {
            for candidate in index.candidates(vector, k: Self.locatedCandidates, keep: Self.locatedCandidates) { rows.insert(candidate.rowID) }
        }
        let current: [Int64: StoredVector]
        do { current = try store.vectors(.image, rowIDs: Array(rows)).filter { $0.value.model == model.id } } catch {
            throw CatalogError(error)
        }
        // Exact scores: of the wholes (the hit's), and the best of wholes and located regions (the order to compare copies in).
        var hits: [(hit: SearchHit, order: Float)] = []
        for stored in current.values where stored.vector.count == query.count {
            let score = VectorMath.dot(query, stored.vector)
            let order = located.reduce(score) { max($0, VectorMath.dot($1, stored.vector)) }
            hits.append((SearchHit(productID: stored.productID, name: stored.name, score: score, rowID: stored.rowID), order))
        }
        hits.sort { $0.order > $1.order || ($0.order == $1.order && $0.hit.productID < $1.hit.productID) }
        // Every candidate compared coarsely, the best few refined (photos decoded once, on every core).
        let compared = min(hits.count, max(k, Self.copyCandidates))
        let matches = ResultSlots<(ImageViews.Match, PixelBuffer)?>(count: compared)
        let store = self.store, images = self.images, embedder = self.model
        let candidates = hits.prefix(compared).map(\.hit)
        let failure = Mutex<StoreError?>(nil)
        DispatchQueue.concurrentPerform(iterations: compared) { position in
            var match: (ImageViews.Match, PixelBuffer)?
            do throws(StoreError) {
                // A thumbnail that does not decode (or a product without one now) keeps the cosine of the wholes.
                if let thumbnail = try store.thumbnail(productID: candidates[position].productID),
                   let photo = try? images.pixels(thumbnail.jpeg) {
                    match = (views.match(photo, model: embedder), photo)
                }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
            matches.set(position, match)
        }
        if let error = failure.withLock({ $0 }) { throw CatalogError(error) }
        var coarse = matches.values
        let refining = coarse.indices.filter { coarse[$0] != nil }
            .sorted { coarse[$0]!.0.score > coarse[$1]!.0.score }.prefix(max(k, Self.refinedCandidates))
        let toRefine = refining.map { coarse[$0]! }
        let refined = ResultSlots<ImageViews.Match>(count: toRefine.count)
        DispatchQueue.concurrentPerform(iterations: toRefine.count) { slot in
            let (match, photo) = toRefine[slot]
            refined.set(slot, views.refine(match, in: photo, model: embedder))
        }
        for (slot, match) in zip(refining, refined.values) { coarse[slot]!.0 = match }
        for (position, match) in coarse.enumerated() {
            if let match, match.0.score > hits[position].hit.score { hits[position].hit.score = match.0.score }
        }
        var ranked = hits.map(\.hit)
        ranked.sort { $0.score > $1.score || ($0.score == $1.score && $0.productID < $1.productID) }
        return Array(ranked.prefix(k))
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
