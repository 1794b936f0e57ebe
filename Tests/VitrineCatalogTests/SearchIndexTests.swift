import Foundation
import Testing
@testable import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// The quantised index against a brute-force float reference.
@Suite("Search index")
struct SearchIndexTests {
    static func randomVectors(_ count: Int, dimension: Int = 512, seed: UInt64) -> [[Float]] {
        var generator = SeededGenerator(state: seed)
        return (0..<count).map { _ in
            // Clustered data is the hard case for quantised search: many near ties.
            var vector = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            if Bool.random(using: &generator) { for index in 0..<64 { vector[index] += 2 } }
            VectorMath.normalize(&vector)
            return vector
        }
    }

    static func bruteForce(_ query: [Float], _ vectors: [[Float]], k: Int, excluding: Int? = nil) -> [Int] {
        var scored: [(Int, Float)] = []
        for position in vectors.indices where position != excluding {
            scored.append((position, VectorMath.dot(query, vectors[position])))
        }
        scored.sort { (a: (Int, Float), b: (Int, Float)) -> Bool in a.1 > b.1 || (a.1 == b.1 && a.0 < b.0) }
        return scored.prefix(k).map { $0.0 }
    }

    /// The exact vectors of rows, as a store would give them (row r is product `ids[r]`).
    static func exact(_ vectors: [[Float]], ids: @escaping (Int) -> String) -> ([Int64]) -> [Int64: StoredVector] {
        { rows in
            var found: [Int64: StoredVector] = [:]
            for row in rows where row >= 0 && Int(row) < vectors.count {
                found[row] = StoredVector(rowID: row, productID: ids(Int(row)), name: "n\(row)", model: "m", vector: vectors[Int(row)])
            }
            return found
        }
    }

    @Test("top-k matches exact float search, in order, for many queries", arguments: [1, 2])
    func matchesBruteForce(_ threads: Int) throws {
        let vectors = Self.randomVectors(8_000, seed: 7)
        let index = SearchIndex(dimension: 512)
        for (position, vector) in vectors.enumerated() {
            index.upsert(productID: String(format: "id%05d", position), rowID: Int64(position), vector: vector)
        }
        let exact = Self.exact(vectors) { String(format: "id%05d", $0) }
        for (number, query) in Self.randomVectors(25, seed: 99).enumerated() {
            let hits = index.search(query, k: 10, threads: threads, exact: exact)
            let expected = Self.bruteForce(query, vectors, k: 10)
            #expect(hits.map(\.rowID) == expected.map(Int64.init), "query \(number)")
            #expect(abs(hits[0].score - VectorMath.dot(query, vectors[expected[0]])) < 1e-5)
        }
    }

    @Test("excluding a product, k larger than the index, an empty index")
    func edges() {
        let vectors = Self.randomVectors(50, seed: 3)
        let index = SearchIndex(dimension: 512)
        #expect(index.search(vectors[0], k: 5) { _ in [:] }.isEmpty)
        for (position, vector) in vectors.enumerated() {
            index.upsert(productID: "p\(position)", rowID: Int64(position), vector: vector)
        }
        let exact = Self.exact(vectors) { "p\($0)" }
        let like = index.search(vectors[4], k: 5, excluding: "p4", exact: exact)
        #expect(like.map(\.rowID) == Self.bruteForce(vectors[4], vectors, k: 5, excluding: 4).map(Int64.init))
        #expect(index.search(vectors[0], k: 500, exact: exact).count == 50)
    }

    @Test("in place: a replaced vector is found by its new value, a removed product never, freed slots are reused")
    func updates() {
        var vectors = Self.randomVectors(2_000, seed: 21)
        let index = SearchIndex(dimension: 512)
        for (position, vector) in vectors.enumerated() { index.upsert(productID: "p\(position)", rowID: Int64(position), vector: vector) }
        // p7 now looks like query A; p9 is removed.
        let queryA = Self.randomVectors(1, seed: 22)[0]
        vectors[7] = queryA
        index.upsert(productID: "p7", rowID: 7, vector: queryA)
        #expect(index.remove(productID: "p9"))
        #expect(!index.remove(productID: "p9"), "removed once")
        #expect(index.count == 1_999 && !index.contains(productID: "p9"))
        let exact = Self.exact(vectors) { "p\($0)" }
        #expect(index.search(queryA, k: 1, exact: exact).first?.productID == "p7")
        #expect(!index.search(vectors[9], k: 50, exact: exact).contains { $0.productID == "p9" })
        // A new product takes the freed slot: the index does not grow.
        index.upsert(productID: "new", rowID: 9, vector: vectors[9])
        #expect(index.count == 2_000)
        #expect(index.search(vectors[9], k: 1) { rows in
            Dictionary(uniqueKeysWithValues: rows.map { ($0, StoredVector(rowID: $0, productID: $0 == 9 ? "new" : "p\($0)", name: "", model: "m", vector: vectors[Int($0)])) })
        }.first?.productID == "new")
        // A change that no longer has a vector of the index's model removes the product.
        index.apply([FeedChange(position: 1, productID: "p7", entry: FeedEntry(rowID: 7, model: "other@1", vector: queryA)),
                     FeedChange(position: 2, productID: "p8", entry: nil)], model: "m")
        #expect(!index.contains(productID: "p7") && !index.contains(productID: "p8") && index.count == 1_998)
    }

    @Test("families of near-identical products: the candidate pool grows until the exact top 10 is in it")
    func clusteredRecall() {
        // 40 families of 150 near-identical vectors (the same shirt in many colours and sizes).
        var generator = SeededGenerator(state: 31)
        var vectors: [[Float]] = []
        let centres = Self.randomVectors(40, seed: 32)
        for centre in centres {
            for _ in 0..<150 {
                var member = centre.map { $0 + Float.random(in: -0.004...0.004, using: &generator) }
                VectorMath.normalize(&member)
                vectors.append(member)
            }
        }
        let index = SearchIndex(dimension: 512)
        for (position, vector) in vectors.enumerated() { index.upsert(productID: "p\(position)", rowID: Int64(position), vector: vector) }
        let exact = Self.exact(vectors) { "p\($0)" }
        var found = 0
        for query in centres.prefix(20) {
            let truth = Set(Self.bruteForce(query, vectors, k: 10).map(Int64.init))
            found += index.search(query, k: 10, exact: exact).filter { truth.contains($0.rowID) }.count
        }
        #expect(found == 200, "recall@10 \(Double(found) / 200)")
    }

    @Test("quantisation keeps each vector within 1 KB and its dot products within 0.01")
    func quantisation() {
        let vector = Self.randomVectors(1, seed: 5)[0], other = Self.randomVectors(1, seed: 6)[0]
        let (codes, scale) = QuantisedVectors.quantise(vector)
        let (codes2, scale2) = QuantisedVectors.quantise(other)
        #expect(codes.count + MemoryLayout<Float>.size <= 1_024)
        var approximate: Float = 0
        for index in 0..<512 { approximate += Float(codes[index]) * Float(codes2[index]) }
        approximate *= scale * scale2
        #expect(abs(approximate - VectorMath.dot(vector, other)) < 0.01)
    }

    @Test("duplicates: near-identical vectors are grouped, distinct ones are not")
    func duplicates() {
        var vectors = Self.randomVectors(3_000, dimension: 512, seed: 11).map { vector -> [Float] in
            var image = Array(vector.prefix(256)) + [Float](repeating: 0, count: 256)
            VectorMath.normalize(&image)
            return image
        }
        var generator = SeededGenerator(state: 12)
        // Three planted near-duplicate sets.
        for (original, copies) in [(10, [2_999, 1_500]), (20, [700]), (2_000, [5, 6, 7])] {
            for copy in copies {
                var noisy = vectors[original].enumerated().map { $0.offset < 256 ? $0.element + Float.random(in: -0.01...0.01, using: &generator) : 0 }
                VectorMath.normalize(&noisy)
                vectors[copy] = noisy
            }
        }
        let groups = DuplicateFinder(threshold: 0.9).groups(vectors)
        #expect(groups.map(\.members) == [[5, 6, 7, 2_000], [10, 1_500, 2_999], [20, 700]])
        #expect(groups.allSatisfy { $0.minimumScore >= 0.9 })
    }
}
