import Foundation
import VitrineStore

/// One search result.
public struct SearchHit: Sendable, Equatable {
    /// The product's id.
    public var productID: String
    /// Its name (as stored when the search ran).
    public var name: String
    /// Exact cosine similarity to the query (for an image query in `image` mode, of the
    /// query's and the product photo's best-matching views: ``CatalogSearch/copies(of:in:k:)``).
    public var score: Float
    /// The store's row for the product.
    public var rowID: Int64

    /// The one order of results: higher score first, then product id (so equal scores always
    /// come in the same order, and pages never overlap).
    public static func ranking(_ a: SearchHit, _ b: SearchHit) -> Bool {
        a.score > b.score || (a.score == b.score && a.productID < b.productID)
    }
}

/// Exact top-k cosine search over vectors held in memory compactly (int8 codes with a
/// scale each: 516 bytes a 512-d vector, plus the product id and row), updated in place:
/// a product is upserted into its slot, a removed product's slot is reused. A query
/// scans every slot with the int8 kernel on every core, keeps the best candidates —
/// more when the candidates' scores are too close to tell apart after quantisation
/// (families of near-identical products) — and re-ranks them with their exact Float32
/// vectors as the store holds them now, so the results are those of exact float
/// search over the current products (see BENCHMARKS.md for recall).
///
/// Safe to search from many threads while one thread applies changes: searches share
/// a read-write lock that updates take alone, for the length of one batch.
public final class SearchIndex: @unchecked Sendable {
    /// The vectors' dimension (a multiple of 32).
    public let dimension: Int
    private let lock = ReadWriteLock()
    private var vectors: QuantisedVectors
    private var rowIDs: [Int64] = []          // -1: a free slot
    private var productIDs: [String] = []
    private var slots: [String: Int32] = [:]
    private var free: [Int32] = []
    private var attributes = AttributeIndex()
    /// The slots holding a product.
    private var live = Bitset(capacity: 0)

    /// How far an int8 score may be from the exact one, in practice: for 512-d unit vectors the
    /// error's spread is about 0.0006, so this is eight of them.
    static let quantisationMargin: Float = 0.005

    /// An empty index for vectors of `dimension`.
    public init(dimension: Int) {
        vectors = QuantisedVectors(dimension: dimension)
        self.dimension = dimension
    }

    /// An index from its stored parts (a snapshot): slot by slot, -1 rows are free.
    init(vectors: QuantisedVectors, rowIDs: [Int64], productIDs: [String], attributes: [ProductAttributes]) {
        precondition(rowIDs.count == vectors.count && productIDs.count == vectors.count && attributes.count == vectors.count,
                     "the snapshot's parts disagree")
        dimension = vectors.dimension
        self.vectors = vectors
        self.rowIDs = rowIDs
        self.productIDs = productIDs
        slots.reserveCapacity(rowIDs.count)
        live = Bitset(capacity: rowIDs.count)
        for slot in 0..<rowIDs.count {
            if rowIDs[slot] < 0 {
                free.append(Int32(slot))
            } else {
                slots[productIDs[slot]] = Int32(slot)
                live.insert(slot)
                self.attributes.set(slot, attributes[slot], capacity: rowIDs.count)
            }
        }
    }

    /// Products held.
    public var count: Int { lock.reading { slots.count } }

    /// Reserves room for `count` products.
    public func reserve(_ count: Int) {
        lock.writing {
            vectors.reserve(count)
            rowIDs.reserveCapacity(count)
            productIDs.reserveCapacity(count)
            slots.reserveCapacity(count)
        }
    }

    /// Adds or replaces a product's vector (any length-`dimension` vector; cosine needs unit length)
    /// and its attributes.
    public func upsert(productID: String, rowID: Int64, vector: [Float], attributes: ProductAttributes = .none) {
        lock.writing { put(productID, rowID, vector, attributes) }
    }

    /// Removes a product; false when it was not held.
    @discardableResult
    public func remove(productID: String) -> Bool {
        lock.writing { take(productID) }
    }

    /// Whether a product is held.
    public func contains(productID: String) -> Bool {
        lock.reading { slots[productID] != nil }
    }

    /// Applies changes from the feed in one update: a change with a vector of `model` (and
    /// this dimension) is upserted, any other (a deletion, a product without such a vector,
    /// a vector of another model) removes the product.
    public func apply(_ changes: [FeedChange], model: String) {
        guard !changes.isEmpty else { return }
        lock.writing {
            for change in changes {
                if let entry = change.entry, entry.model == model, entry.vector.count == dimension {
                    put(change.productID, entry.rowID, entry.vector, entry.attributes)
                } else {
                    take(change.productID)
                }
            }
        }
    }

    private func put(_ productID: String, _ rowID: Int64, _ vector: [Float], _ attributes: ProductAttributes) {
        let slot: Int
        if let held = slots[productID] {
            slot = Int(held)
            vectors.set(slot, vector)
            rowIDs[slot] = rowID
        } else if let reused = free.popLast() {
            slot = Int(reused)
            vectors.set(slot, vector)
            rowIDs[slot] = rowID
            productIDs[slot] = productID
            slots[productID] = reused
        } else {
            slot = vectors.append(vector)
            slots[productID] = Int32(slot)
            rowIDs.append(rowID)
            productIDs.append(productID)
        }
        live.insert(slot)
        self.attributes.set(slot, attributes, capacity: rowIDs.count)
    }

    @discardableResult
    private func take(_ productID: String) -> Bool {
        guard let slot = slots.removeValue(forKey: productID) else { return false }
        vectors.clear(Int(slot))
        rowIDs[Int(slot)] = -1
        productIDs[Int(slot)] = ""
        free.append(slot)
        live.remove(Int(slot))
        attributes.clear(Int(slot))
        return true
    }

    /// A candidate of the scan: its row, its product and its approximate score.
    public struct Candidate: Sendable {
        /// The store's row.
        public var rowID: Int64
        /// The product.
        public var productID: String
        /// The int8 score.
        public var score: Float
    }

    /// The approximate best `keep` products for `query` (never `excluding`), best first, among
    /// those matching `filter` (every product when nil). When the weakest kept candidate is within
    /// the quantisation margin of the `k`-th, ties that quantisation cannot order may lie beyond it:
    /// the pool grows (up to `limit`) until it holds every product that could be among the exact top `k`.
    public func candidates(_ query: [Float], k: Int, keep: Int, limit: Int = 8_192, excluding: String? = nil,
                           filter: Filter? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Candidate] {
        select(filter) { $0.candidates(query, k: k, keep: keep, limit: limit, excluding: excluding, threads: threads) }
    }

    /// The attributes its products have: each name, how many products have it and how many
    /// distinct values it takes; the most common first (ties by name), at most `limit`.
    public func attributeNames(limit: Int) -> [(name: String, products: Int, values: Int)] {
        let names = lock.reading { attributes.summary() }
        return Array(names.sorted { $0.products > $1.products || ($0.products == $1.products && $0.name < $1.name) }.prefix(limit))
    }

    /// Runs `body` on the products matching `filter` (every product when nil or `{}`), evaluated
    /// once, under the index's read lock: scans, counts and facets of one state of the index.
    public func select<T>(_ filter: Filter?, _ body: (Selection) throws -> T) rethrows -> T {
        try lock.reading {
            let mask = filter.flatMap { $0.isEverything ? nil : $0.evaluate(in: attributes, live: live) }
            return try body(Selection(index: self, mask: mask))
        }
    }

    /// The products matching a filter, within one ``select(_:_:)``.
    public struct Selection {
        fileprivate let index: SearchIndex
        fileprivate let mask: Bitset?

        /// How many products match.
        public var count: Int { mask?.count ?? index.slots.count }

        /// The approximate best `keep` products for `query` among them (see ``SearchIndex/candidates(_:k:keep:limit:excluding:filter:threads:)``).
        public func candidates(_ query: [Float], k: Int, keep: Int, limit: Int = 8_192, excluding: String? = nil,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Candidate] {
            precondition(query.count == index.dimension, "query of \(query.count) values in a \(index.dimension)-d index")
            let matching = count
            guard k > 0, matching > 0 else { return [] }
            let cap = min(matching, limit)
            var pool = min(matching, max(keep, k) + (excluding == nil ? 0 : 1))
            while true {
                // Free slots score 0 in a scan of every slot: ask for as many more as there are (at most the pool again).
                let extra = mask == nil ? min(index.free.count, pool) : 0
                let best = index.vectors.approximateBest(query, keep: pool + extra, threads: threads, among: mask)
                var found: [Candidate] = []
                found.reserveCapacity(pool)
                for (score, slot) in best where index.rowIDs[slot] >= 0 && index.productIDs[slot] != excluding {
                    found.append(Candidate(rowID: index.rowIDs[slot], productID: index.productIDs[slot], score: score))
                    if found.count == pool { break }
                }
                let kth = found.count >= k ? found[k - 1].score : -Float.infinity
                let weakest = found.last?.score ?? -Float.infinity
                let crowded = found.count == pool && weakest >= kth - 2 * SearchIndex.quantisationMargin
                if !crowded || pool >= cap { return found }
                pool = min(cap, pool * 4)
            }
        }

        /// Counts of the values of attribute `name` among them: the most frequent first, at most `limit`.
        public func facet(_ name: String, limit: Int) -> [(value: AttributeValue, count: Int)] {
            index.attributes.facet(name, among: mask ?? index.live, limit: limit)
        }

        /// Their rows, when at most `limit` match (nil otherwise).
        public func rowIDs(upTo limit: Int) -> [Int64]? {
            guard let mask, mask.count <= limit else { return nil }
            var rows: [Int64] = []
            rows.reserveCapacity(mask.count)
            mask.forEach { rows.append(index.rowIDs[$0]) }
            return rows
        }

        /// Whether the product is among them.
        public func contains(productID: String) -> Bool {
            guard let slot = index.slots[productID] else { return false }
            return mask?.contains(Int(slot)) ?? true
        }
    }

    /// The `k` products nearest `query` (cosine), excluding `excluding`: candidates from the
    /// scan, re-ranked with `exact` — the current vectors of the given rows (a row deleted or
    /// reused since is left out, so a removed product never appears).
    /// - Parameters:
    ///   - candidates: how many approximate best are re-ranked at least (default max(10·k, 100)).
    ///   - maxCandidates: how far the pool may grow on near-ties.
    ///   - threads: scanning threads (default: every core).
    public func search(_ query: [Float], k: Int, excluding: String? = nil, filter: Filter? = nil, candidates: Int? = nil,
                       maxCandidates: Int = 8_192, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                       exact: ([Int64]) throws -> [Int64: StoredVector]) rethrows -> [SearchHit] {
        guard k > 0 else { return [] }
        let found = self.candidates(query, k: k, keep: candidates ?? max(10 * k, 100), limit: maxCandidates,
                                    excluding: excluding, filter: filter, threads: threads)
        return try rerank(query, found, k: k, exact: exact)
    }

    /// Candidates re-ranked with `exact` (their current vectors): the best `k`, in ``SearchHit/ranking`` order.
    public func rerank(_ query: [Float], _ found: [Candidate], k: Int,
                       exact: ([Int64]) throws -> [Int64: StoredVector]) rethrows -> [SearchHit] {
        guard !found.isEmpty, k > 0 else { return [] }
        let current = try exact(found.map(\.rowID))
        var hits: [SearchHit] = []
        hits.reserveCapacity(found.count)
        for candidate in found {
            guard let stored = current[candidate.rowID], stored.productID == candidate.productID,
                  stored.vector.count == dimension else { continue }
            var score: Float = 0
            for index in 0..<dimension { score += query[index] * stored.vector[index] }
            hits.append(SearchHit(productID: stored.productID, name: stored.name, score: score, rowID: stored.rowID))
        }
        hits.sort(by: SearchHit.ranking)
        return Array(hits.prefix(k))
    }

    /// Runs `body` with the index's parts, shared (for a snapshot): vectors, rows, product ids and
    /// each slot's attributes.
    func withContents<T>(_ body: (QuantisedVectors, [Int64], [String], (Int) -> ProductAttributes) throws -> T) rethrows -> T {
        try lock.reading { try body(vectors, rowIDs, productIDs, { self.attributes.attributes(of: $0) }) }
    }
}
