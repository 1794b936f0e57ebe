import ArgumentParser
import Dispatch
import Foundation
import VitrineProbe
import VitrineCatalog
import VitrineEmbedding
import VitrineStore

/// Top-10 search latency of the in-memory index, one query at a time, and recall@10
/// against exact float search — on random unit vectors and on clustered ones (products
/// come in families of near-identical vectors: the hard case for quantised search).
struct SearchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Top-10 latency (median, p99), recall@10 and memory of the index, on random and clustered vectors.")

    @Option(help: "Index sizes, comma-separated.")
    var sizes = "100000,1000000"

    @Option(help: "Data: random, clustered or both.")
    var data = "both"

    @Option(help: "Queries timed per size.")
    var queries = 200

    @Option(help: "Queries checked against brute force for recall.")
    var recallQueries = 50

    @Option(help: "The most candidates re-ranked (100: a fixed pool, no growth on near-ties).")
    var maxCandidates = 8_192

    func run() throws {
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        let kinds = data == "both" ? ["random", "clustered"] : [data]
        print("search benchmark: 512-d unit vectors, top-10, one query at a time on \(ProcessInfo.processInfo.activeProcessorCount) threads")
        for kind in kinds {
            for count in counts { try measure(count: count, clustered: kind == "clustered") }
        }
    }

    /// `count` vectors: random, or in families (10 to 200 members, each member its family's
    /// centre plus a little noise: cosine 0.97–0.999 within a family).
    static func vectors(_ count: Int, clustered: Bool, generator: inout SeededGenerator) -> [Float] {
        var all = [Float](repeating: 0, count: count * 512)
        var row = 0
        func random() -> [Float] {
            var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &generator) }
            VectorMath.normalize(&vector)
            return vector
        }
        while row < count {
            let centre = random()
            let family = clustered ? Int.random(in: 10...200, using: &generator) : 1
            let noise = Float.random(in: 0.001...0.006, using: &generator)
            for _ in 0..<min(family, count - row) {
                var member = centre
                if clustered { for d in 0..<512 { member[d] += Float.random(in: -noise...noise, using: &generator) } }
                VectorMath.normalize(&member)
                all.replaceSubrange((row * 512)..<((row + 1) * 512), with: member)
                row += 1
            }
        }
        return all
    }

    func measure(count: Int, clustered: Bool) throws {
        var generator = SeededGenerator(state: UInt64(count) &+ (clustered ? 17 : 0))
        print("  building \(count) \(clustered ? "clustered" : "random") vectors…")
        let exact = Self.vectors(count, clustered: clustered, generator: &generator)
        func vector(_ row: Int) -> [Float] { Array(exact[(row * 512)..<((row + 1) * 512)]) }
        // The index's memory, measured: resident memory before and after it is built.
        let residentBefore = BenchServer.status(getpid(), "VmRSS:")
        let index = SearchIndex(dimension: 512)
        index.reserve(count)
        for row in 0..<count { index.upsert(productID: "p\(row)", rowID: Int64(row), vector: vector(row)) }
        let indexKiB = BenchServer.status(getpid(), "VmRSS:") - residentBefore
        let lookup: ([Int64]) -> [Int64: StoredVector] = { rows in
            Dictionary(uniqueKeysWithValues: rows.map { ($0, StoredVector(rowID: $0, productID: "p\($0)", name: "", model: "m", vector: vector(Int($0)))) })
        }
        // Queries: for clustered data, near a family (a member plus noise): where the ties are.
        let queryVectors: [[Float]] = (0..<max(queries, recallQueries)).map { _ in
            if !clustered {
                var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &generator) }
                VectorMath.normalize(&vector)
                return vector
            }
            var query = vector(Int.random(in: 0..<count, using: &generator))
            for d in 0..<512 { query[d] += Float.random(in: -0.003...0.003, using: &generator) }
            VectorMath.normalize(&query)
            return query
        }
        _ = index.search(queryVectors[0], k: 10, maxCandidates: maxCandidates, exact: lookup) // warm-up
        var latencies: [Double] = []
        var results: [[SearchHit]] = []
        for query in queryVectors.prefix(queries) {
            let started = DispatchTime.now().uptimeNanoseconds
            let hits = index.search(query, k: 10, maxCandidates: maxCandidates, exact: lookup)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            results.append(hits)
        }
        latencies.sort()
        // Recall@10 against brute force in Float32.
        var found = 0
        for (number, query) in queryVectors.prefix(recallQueries).enumerated() {
            var top = TopTen()
            exact.withUnsafeBufferPointer { all in
                for row in 0..<count {
                    var score: Float = 0
                    let base = row * 512
                    for d in 0..<512 { score += query[d] * all[base + d] }
                    top.offer(score, row)
                }
            }
            let truth = Set(top.items.map { Int64($0.1) })
            let hits = number < results.count ? results[number] : index.search(query, k: 10, maxCandidates: maxCandidates, exact: lookup)
            found += hits.filter { truth.contains($0.rowID) }.count
        }
        print("\(count) \(clustered ? "clustered" : "random") vectors: median \(Measure.format(latencies[latencies.count / 2], 2)) ms, p99 \(Measure.format(latencies[latencies.count * 99 / 100], 2)) ms, recall@10 \(Measure.format(Double(found) / Double(recallQueries * 10), 4)) over \(recallQueries) queries; index \(indexKiB / 1024) MiB resident (measured; \(indexKiB * 1024 / count) bytes a vector with its id)")
    }
}

/// The ten best (score, row) seen.
private struct TopTen {
    var items: [(Float, Int)] = []
    mutating func offer(_ score: Float, _ row: Int) {
        if items.count < 10 { items.append((score, row)); items.sort { $0.0 > $1.0 } }
        else if score > items[9].0 { items[9] = (score, row); items.sort { $0.0 > $1.0 } }
    }
}
