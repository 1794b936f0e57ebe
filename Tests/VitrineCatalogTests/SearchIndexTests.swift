import Foundation
import Testing
@testable import VitrineCatalog
import VitrineEmbedding
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

    @Test("top-k matches exact float search, in order, for many queries", arguments: [1, 2])
    func matchesBruteForce(_ threads: Int) throws {
        let vectors = Self.randomVectors(8_000, seed: 7)
        let index = SearchIndex(dimension: 512)
        for (position, vector) in vectors.enumerated() {
            index.append(rowID: Int64(position), productID: String(format: "id%05d", position), name: "n\(position)", vector: vector)
        }
        for (number, query) in Self.randomVectors(25, seed: 99).enumerated() {
            let hits = index.search(query, k: 10, threads: threads) { positions in positions.map { vectors[$0] } }
            let expected = Self.bruteForce(query, vectors, k: 10)
            #expect(hits.map(\.rowID) == expected.map(Int64.init), "query \(number)")
            #expect(abs(hits[0].score - VectorMath.dot(query, vectors[expected[0]])) < 1e-5)
        }
    }

    @Test("excluding a product, k larger than the index, an empty index")
    func edges() {
        let vectors = Self.randomVectors(50, seed: 3)
        let index = SearchIndex(dimension: 512)
        #expect(index.search(vectors[0], k: 5) { _ in [] }.isEmpty)
        for (position, vector) in vectors.enumerated() {
            index.append(rowID: Int64(position), productID: "p\(position)", name: "", vector: vector)
        }
        let like = index.search(vectors[4], k: 5, excluding: "p4") { $0.map { vectors[$0] } }
        #expect(like.map(\.rowID) == Self.bruteForce(vectors[4], vectors, k: 5, excluding: 4).map(Int64.init))
        #expect(index.search(vectors[0], k: 500) { $0.map { vectors[$0] } }.count == 50)
    }

    @Test("quantisation keeps each vector within 1 KB and its dot products within 0.01")
    func quantisation() {
        let vector = Self.randomVectors(1, seed: 5)[0], other = Self.randomVectors(1, seed: 6)[0]
        let (codes, scale) = SearchIndex.quantise(vector)
        let (codes2, scale2) = SearchIndex.quantise(other)
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
