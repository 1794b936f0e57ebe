import ArgumentParser
import Dispatch
import Foundation
import VitrineProbe
import VitrineCatalog
import VitrineEmbedding

/// Top-10 search latency over many random unit vectors, one query at a
/// time, and recall@10 against exact float search.
struct SearchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Top-10 latency (median, p99) over 100,000 and 1,000,000 random vectors, and recall@10.")

    @Option(help: "Index sizes, comma-separated.")
    var sizes = "100000,1000000"

    @Option(help: "Queries timed per size.")
    var queries = 200

    @Option(help: "Queries checked against brute force for recall.")
    var recallQueries = 50

    func run() throws {
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        print("search benchmark: 512-d random unit vectors, top-10, one query at a time on \(ProcessInfo.processInfo.activeProcessorCount) threads")
        for count in counts {
            var generator = SeededGenerator(state: UInt64(count))
            print("  building \(count) vectors…")
            var exact = [Float](repeating: 0, count: count * 512)
            for row in 0..<count {
                var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &generator) }
                VectorMath.normalize(&vector)
                exact.replaceSubrange((row * 512)..<((row + 1) * 512), with: vector)
            }
            // The index's memory, measured: resident memory before and after it is built.
            let residentBefore = BenchServer.status(getpid(), "VmRSS:")
            let index = SearchIndex(dimension: 512)
            index.reserve(count)
            for row in 0..<count { index.append(rowID: Int64(row), productID: "p\(row)", name: "", vector: Array(exact[(row * 512)..<((row + 1) * 512)])) }
            let indexKiB = BenchServer.status(getpid(), "VmRSS:") - residentBefore
            let exactVectors = exact
            func vector(_ row: Int) -> [Float] { Array(exactVectors[(row * 512)..<((row + 1) * 512)]) }
            let queryVectors: [[Float]] = (0..<max(queries, recallQueries)).map { _ in
                var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &generator) }
                VectorMath.normalize(&vector)
                return vector
            }
            _ = index.search(queryVectors[0], k: 10) { $0.map(vector) } // warm-up
            var latencies: [Double] = []
            var results: [[SearchHit]] = []
            for query in queryVectors.prefix(queries) {
                let started = DispatchTime.now().uptimeNanoseconds
                let hits = index.search(query, k: 10) { $0.map(vector) }
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
                results.append(hits)
            }
            latencies.sort()
            // Recall@10 against brute force in Float32.
            var found = 0
            for (number, query) in queryVectors.prefix(recallQueries).enumerated() {
                var top = [(Float, Int)]()
                exactVectors.withUnsafeBufferPointer { all in
                    for row in 0..<count {
                        var score: Float = 0
                        let base = row * 512
                        for d in 0..<512 { score += query[d] * all[base + d] }
                        if top.count < 10 { top.append((score, row)); top.sort { $0.0 > $1.0 } }
                        else if score > top[9].0 { top[9] = (score, row); top.sort { $0.0 > $1.0 } }
                    }
                }
                let truth = Set(top.map { Int64($0.1) })
                let hits = number < results.count ? results[number] : index.search(query, k: 10) { $0.map(vector) }
                found += hits.filter { truth.contains($0.rowID) }.count
            }
            print("\(count) vectors: median \(Measure.format(latencies[latencies.count / 2], 2)) ms, p99 \(Measure.format(latencies[latencies.count * 99 / 100], 2)) ms, recall@10 \(Measure.format(Double(found) / Double(recallQueries * 10), 4)) over \(recallQueries) queries; index \(indexKiB / 1024) MiB resident (measured; \(indexKiB * 1024 / count) bytes a vector)")
        }
    }
}
