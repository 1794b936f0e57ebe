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
        try search(text: text, in: index, kind: kind, options: SearchOptions(limit: k)).hits
    }

    /// A page of the products nearest a text query (hybrid when ``SearchOptions/lexicalWeight`` is set).
    public func search(text: String, in index: SearchIndex, kind: VectorKind, options: SearchOptions) throws(CatalogError) -> SearchPage {
        if options.lexicalWeight != nil { return try hybrid(text: text, in: index, options: options) }
        return try search(try embed(text), in: index, kind: kind, options: options, excluding: nil)
    }

    private func embed(_ text: String) throws(CatalogError) -> [Float] {
        do { return try model.embedText(text).vector } catch {
            throw CatalogError(.invalidRequest, "the query has no words to search for")
        }
    }

    /// The constant of reciprocal rank fusion: a product at rank r of a list adds weight / (rrfK + r).
    public static let rrfK = 60.0
    /// How deep each list of a hybrid search goes, whatever the page: the same for every page, so
    /// the fused order — and so the pages — do not depend on which page is asked for.
    public static let hybridDepth = 1_000
    /// A filter matching at most this many products is passed to the full-text query as their rows;
    /// a broader one filters the full-text matches afterwards.
    static let lexicalRowLimit = 20_000

    /// Hybrid search: the ranking of the fused vectors and the database's full-text ranking (BM25
    /// over name, description and metadata: ``ProductStore/lexicalMatches(_:among:limit:)``), each
    /// of the products matching the filter and ``hybridDepth`` deep, fused by reciprocal rank:
    /// score = (1 − w) / (60 + vector rank) + w / (60 + lexical rank), w the lexical weight, a
    /// list a product is absent from adding nothing. A SKU, a rare word or a phrase puts its
    /// product first in the lexical ranking; a query no product's words match is ranked by its
    /// vectors alone. As an exact-match rule, the products whose text holds the query's words as a
    /// phrase (one word: that word) come first, ordered among themselves by the fusion: a SKU or a
    /// product's exact name is never outranked by a look-alike that merely shares a word. Scores:
    /// the fusion's (at most 1/61), plus 1 for an exact match.
    public func hybrid(text: String, in index: SearchIndex, options: SearchOptions) throws(CatalogError) -> SearchPage {
        let weight = min(1, max(0, options.lexicalWeight ?? SearchOptions.defaultLexicalWeight))
        let query = try embed(text)
        let depth = max(options.window, Self.hybridDepth)
        let (found, total, facets, rows) = index.select(options.filter) { selection in
            // No growth on near-ties: the order around rank 1,000 hardly moves a fused rank.
            (selection.candidates(query, k: depth, keep: depth + depth / 4, limit: depth + depth / 4), selection.count,
             Self.facets(options, selection), selection.rowIDs(upTo: Self.lexicalRowLimit))
        }
        let store = self.store, modelID = model.id
        let vectorHits: [SearchHit]
        var lexical: [LexicalMatch]
        do {
            vectorHits = try index.rerank(query, found, k: depth) { rows in
                try store.vectors(.fused, rowIDs: rows).filter { $0.value.model == modelID }
            }
            let words = LexicalQuery(text)
            // A broad filter: more full-text matches are read, and those the filter leaves out dropped.
            let broad = !(options.filter?.isEverything ?? true) && rows == nil
            lexical = try store.lexicalMatches(words, among: rows, limit: broad ? min(8 * depth, 8_000) : depth)
            if broad {
                lexical = index.select(options.filter) { selection in lexical.filter { selection.contains(productID: $0.productID) } }
            }
            lexical = Array(lexical.prefix(depth))
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
        var fused: [String: (hit: SearchHit, score: Double)] = [:]
        for (rank, hit) in vectorHits.enumerated() {
            fused[hit.productID] = (hit, (1 - weight) / (Self.rrfK + Double(rank + 1)))
        }
        // Products only the full-text ranking found: their names from the store, as the vector hits'.
        let missing = lexical.filter { fused[$0.productID] == nil }.map(\.rowID)
        var named: [Int64: StoredVector] = [:]
        if !missing.isEmpty {
            do { named = try store.vectors(.fused, rowIDs: missing) } catch { throw CatalogError(error) }
        }
        for (rank, match) in lexical.enumerated() {
            let add = weight / (Self.rrfK + Double(rank + 1))
            if let current = fused[match.productID] {
                fused[match.productID]!.score = current.score + add
            } else if let stored = named[match.rowID], stored.productID == match.productID {
                fused[match.productID] = (SearchHit(productID: stored.productID, name: stored.name, score: 0, rowID: stored.rowID), add)
            }
        }
        // A weight of 0 or 1 leaves one list's products with nothing: they are not results.
        fused = fused.filter { $0.value.score > 0 }
        // Exact matches: which of the candidates hold the whole query as a phrase (one cheap lookup among them).
        if weight > 0, !lexical.isEmpty {
            let rows = fused.values.map(\.hit.rowID)
            do {
                for match in try store.lexicalMatches(LexicalQuery(text).phrase, among: rows, limit: rows.count)
                where fused[match.productID]?.hit.rowID == match.rowID {
                    fused[match.productID]!.score += 1
                }
            } catch {
                throw CatalogError(error)
            }
        }
        var hits = fused.values.map { entry -> SearchHit in
            var hit = entry.hit
            hit.score = Float(entry.score)
            return hit
        }
        hits.sort(by: SearchHit.ranking)
        return Self.page(hits, options: options, total: total, facets: facets)
    }

    /// The page of `ranked` (the best `window` or more, in order) that `options` asks for.
    static func page(_ ranked: [SearchHit], options: SearchOptions, total: Int,
                     facets: [(name: String, values: [(value: AttributeValue, count: Int)])]) -> SearchPage {
        var kept = ranked
        if let minimum = options.minScore { kept = kept.filter { $0.score >= minimum } }
        let hits = Array(kept.dropFirst(options.offset).prefix(options.limit))
        // More may follow when the ranking filled the window (a threshold may stop it sooner).
        let end = options.offset + hits.count
        let next = hits.count == options.limit && kept.count > end || (kept.count >= options.window && end < total) ? end : nil
        return SearchPage(hits: hits, total: total, nextOffset: next, facets: facets)
    }

    /// The facets `options` asks for, among a selection.
    static func facets(_ options: SearchOptions, _ selection: SearchIndex.Selection) -> [(name: String, values: [(value: AttributeValue, count: Int)])] {
        options.facets.map { (name: $0, values: selection.facet($0, limit: options.facetLimit)) }
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
        try search(imageBytes: imageBytes, in: index, kind: kind, options: SearchOptions(limit: k)).hits
    }

    /// A page of the products nearest an image.
    public func search<Bytes: ContiguousBytes>(imageBytes: Bytes, in index: SearchIndex, kind: VectorKind,
                                               options: SearchOptions) throws(CatalogError) -> SearchPage {
        guard options.lexicalWeight == nil else {
            throw CatalogError(.invalidField, "the hybrid mode needs a text query: it fuses a ranking of words", field: "mode")
        }
        let pixels: PixelBuffer
        do { pixels = try images.pixels(imageBytes) } catch {
            throw CatalogError(.invalidRequest, "the query image cannot be used: \(error.description)")
        }
        if kind == .image { return try copies(of: pixels, in: index, options: options) }
        return try search(model.embedImage(pixels).vector, in: index, kind: kind, options: options, excluding: nil)
    }

    /// Image search that recognises copies. Candidates: the products nearest the whole query,
    /// and those nearest each region ``ImageViews`` locates in it (a photo on a canvas, each
    /// photo of a collage), looked up whole. Each scores its exact cosine to the query; the
    /// best ``copyCandidates`` then score the best match of the query's views with views of
    /// their stored thumbnail when that is higher (a crop, a window, a rotation, a banner) — so
    /// a product's score is the cosine of the query's and its photo's best-matching parts, and
    /// never below that of the wholes. The thumbnails are read and compared on every core.
    public func copies(of pixels: PixelBuffer, in index: SearchIndex, k: Int) throws(CatalogError) -> [SearchHit] {
        try copies(of: pixels, in: index, options: SearchOptions(limit: k)).hits
    }

    /// Most candidates compared as copies, however deep the page (the rest keep the wholes' cosine).
    static let maxCopyComparisons = 256

    /// A page of ``copies(of:in:k:)`` among the products matching the options' filter.
    public func copies(of pixels: PixelBuffer, in index: SearchIndex, options: SearchOptions) throws(CatalogError) -> SearchPage {
        let k = options.window
        let query = model.embedImage(pixels).vector
        let views = ImageViews(query: pixels, model: model)
        let located = views.located.map { model.embedImage($0.pixels(of: pixels)).vector }
        var rows = Set<Int64>()
        let (total, facets) = index.select(options.filter) { selection in
            for candidate in selection.candidates(query, k: k, keep: max(k, Self.copyCandidates)) { rows.insert(candidate.rowID) }
            for vector in located {
                for candidate in selection.candidates(vector, k: Self.locatedCandidates, keep: Self.locatedCandidates) {
                    rows.insert(candidate.rowID)
                }
            }
            return (selection.count, Self.facets(options, selection))
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
        let compared = min(hits.count, min(max(k, Self.copyCandidates), Self.maxCopyComparisons))
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
        ranked.sort(by: SearchHit.ranking)
        return Self.page(Array(ranked.prefix(k)), options: options, total: total, facets: facets)
    }

    /// The `k` products most like a stored one (itself excluded), comparing vectors of `kind`.
    public func similar(to productID: String, in index: SearchIndex, kind: VectorKind, k: Int) throws(CatalogError) -> [SearchHit] {
        try similar(to: productID, in: index, kind: kind, options: SearchOptions(limit: k)).hits
    }

    /// A page of the products most like a stored one.
    public func similar(to productID: String, in index: SearchIndex, kind: VectorKind, options: SearchOptions) throws(CatalogError) -> SearchPage {
        guard options.lexicalWeight == nil else {
            throw CatalogError(.invalidField, "the hybrid mode needs a text query: it fuses a ranking of words", field: "mode")
        }
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
        return try search(vector, in: index, kind: kind, options: options, excluding: productID)
    }

    /// Top-k for a query vector, re-ranked with the current stored vectors of this model.
    public func search(_ query: [Float], in index: SearchIndex, kind: VectorKind, k: Int, excluding: String?) throws(CatalogError) -> [SearchHit] {
        try search(query, in: index, kind: kind, options: SearchOptions(limit: k), excluding: excluding).hits
    }

    /// A page of the ranking for a query vector among the products matching the filter: the exact
    /// top `offset + limit` (the scan keeps only matching products, so a selective filter still
    /// fills the page whenever enough match), re-ranked with the current stored vectors.
    public func search(_ query: [Float], in index: SearchIndex, kind: VectorKind, options: SearchOptions,
                       excluding: String?) throws(CatalogError) -> SearchPage {
        let store = self.store, modelID = model.id, k = options.window
        let (found, total, facets) = index.select(options.filter) { selection in
            let count = selection.count - (excluding.map { selection.contains(productID: $0) ? 1 : 0 } ?? 0)
            return (selection.candidates(query, k: k, keep: max(10 * k, 100), excluding: excluding), count,
                    Self.facets(options, selection))
        }
        do {
            let hits = try index.rerank(query, found, k: k) { rows in
                try store.vectors(kind, rowIDs: rows).filter { $0.value.model == modelID }
            }
            return Self.page(hits, options: options, total: total, facets: facets)
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.store, "\(error)")
        }
    }
}
