import ArgumentParser
import Dispatch
import Foundation
import VitrineCatalog
import VitrineChaos
import VitrineEmbedding
import VitrinePostgres
import VitrineProbe
import VitrineStore

/// Filtered and hybrid search through a real store: `count` products written to SQLite or
/// PostgreSQL (attributes in their metadata, words in their names and descriptions), read into a
/// live index from the change feed, then searched with filters matching 50 %, 1 % and 0.01 % of
/// them (exactness checked against brute force), facets, and hybrid queries (a SKU, a rare word,
/// two common words; with and without a filter).
struct FilterBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "Filtered search (50 %, 1 %, 0.01 %), facets and hybrid search latency at scale, on SQLite and PostgreSQL.")

    @Option(help: "Products.") var count = 1_000_000
    @Option(help: "sqlite, postgres or both.") var backend = "both"
    @Option(help: "Queries timed per case.") var queries = 40
    @Option(help: "Queries checked against brute force per filter.") var checks = 10
    @Option(help: "What to measure: filters, hybrid or both.") var cases = "both"

    /// The words products are made of: "w0" is the most common, the tail is rare (Zipf-like).
    static let vocabulary = 20_000

    static func word(_ random: inout SeededGenerator) -> String {
        let u = Double.random(in: 0..<1, using: &random)
        return "w\(Int(pow(u, 4) * Double(vocabulary)))"
    }

    static let brands = (0..<20).map { "Marque \($0)" }

    /// Product `n`: attributes that make the filters' selectivities exact.
    static func metadata(_ n: Int) -> String {
        var fields = ["\"half\": \(n % 2 == 0)", "\"bucket\": \(n % 100)", "\"price\": \(Double(n % 10_000) / 100)",
                      "\"brand\": \"\(brands[n % brands.count])\"", "\"sku\": \"SKU-\(n)\""]
        if n % 10_000 == 0 { fields.append("\"rare\": \"yes\"") }
        return "{\(fields.joined(separator: ", "))}"
    }

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else { throw ValidationError("run from the repository (fixtures/ not found)") }
        let model = try loadModel(fixtures)
        say("filters benchmark: \(count) products, top-10, one query at a time, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        for name in backend == "both" ? ["sqlite", "postgres"] : [backend] {
            guard name == "sqlite" || name == "postgres" else { throw ValidationError("--backend: sqlite, postgres or both") }
            try measure(postgres: name == "postgres", model: model)
        }
    }

    func measure(postgres: Bool, model: EmbeddingModel) throws {
        let databases = try HTTPBenchmark.Databases(postgres: postgres)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-filters-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage: Storage
        if let url = try databases.fresh() {
            storage = try Storage.postgres(url: try PostgresURL(url), connections: 4)
        } else {
            storage = Storage(sqlite: try SQLiteProductStore(path: folder.appendingPathComponent("f.sqlite").path))
        }
        say("— \(databases.name)")
        // The products: random unit vectors (kept here for the brute-force check), words, attributes.
        var random = SeededGenerator(state: 2026)
        var vectors = [Float](repeating: 0, count: count * 512)
        let clock = ContinuousClock()
        var started = clock.now
        var batch: [ProductRecord] = []
        batch.reserveCapacity(2_000)
        for n in 0..<count {
            var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &random) }
            VectorMath.normalize(&vector)
            vectors.replaceSubrange((n * 512)..<((n + 1) * 512), with: vector)
            let name = (0..<3).map { _ in Self.word(&random) }.joined(separator: " ")
            let description = (0..<12).map { _ in Self.word(&random) }.joined(separator: " ")
            let metadata = Self.metadata(n)
            batch.append(ProductRecord(productID: "b\(n)", name: name, description: description, metadata: metadata,
                                       textDigest: Digest.text(name: name, description: description, metadata: metadata),
                                       imageDigest: nil, imageWidth: nil, imageHeight: nil, model: model.id,
                                       fused: vector, image: nil, text: vector))
            if batch.count == 2_000 || n == count - 1 {
                try storage.products.upsert(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        let written = seconds(clock.now - started)
        started = clock.now
        let live = try LiveIndex(kind: .fused, modelID: model.id, feed: storage.feed)
        let loaded = seconds(clock.now - started)
        say("  wrote \(count) products in \(Measure.format(written, 0)) s (\(Int(Double(count) / written)) a second, full-text index included); live index loaded from the feed in \(Measure.format(loaded, 1)) s")
        let search = CatalogSearch(store: storage.products, model: model)
        let index = live.index

        func query() -> [Float] {
            var vector = (0..<512).map { _ in Float.random(in: -1...1, using: &random) }
            VectorMath.normalize(&vector)
            return vector
        }
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = clock.now
            try body()
            return seconds(clock.now - start) * 1000
        }
        func figures(_ samples: [Double]) -> String {
            let sorted = samples.sorted()
            return "median \(Measure.format(sorted[sorted.count / 2], 2)) ms, p90 \(Measure.format(sorted[sorted.count * 9 / 10], 2)) ms"
        }
        let cases: [(String, String?, (Int) -> Bool)] = [
            ("no filter", nil, { _ in true }),
            ("50 % ({\"half\": true})", "{\"half\": true}", { $0 % 2 == 0 }),
            ("1 % ({\"bucket\": 7})", "{\"bucket\": 7}", { $0 % 100 == 7 }),
            ("1 % (price range)", "{\"price\": {\"gte\": 10, \"lt\": 11}}", { (1_000..<1_100).contains($0 % 10_000) }),
            ("0.01 % ({\"rare\": \"yes\"})", "{\"rare\": \"yes\"}", { $0 % 10_000 == 0 }),
            ("50 % and 1 % (and, not)", "{\"half\": true, \"not\": {\"brand\": {\"in\": [\"Marque 1\", \"Marque 2\"]}}, \"bucket\": {\"lt\": 2}}",
             { $0 % 2 == 0 && $0 % 100 < 2 && !([1, 2].contains($0 % 20)) }),
        ]
        for (label, text, matches) in self.cases == "hybrid" ? [] : cases {
            let filter = try text.map { try Filter.parse($0) }
            var latencies: [Double] = [], exact = 0, checked = 0, total = 0
            for number in 0..<(queries + checks) {
                let vector = query()
                var page: SearchPage!
                let elapsed = try time {
                    page = try search.search(vector, in: index, kind: .fused, options: SearchOptions(filter: filter, limit: 10), excluding: nil)
                }
                total = page.total
                if number < queries { latencies.append(elapsed); continue }
                // Brute force among the matching products.
                var best: [(Float, Int)] = []
                vectors.withUnsafeBufferPointer { all in
                    for n in 0..<count where matches(n) {
                        var score: Float = 0
                        for d in 0..<512 { score += vector[d] * all[n * 512 + d] }
                        if best.count < 10 { best.append((score, n)); best.sort { $0.0 > $1.0 } }
                        else if score > best[9].0 { best[9] = (score, n); best.sort { $0.0 > $1.0 } }
                    }
                }
                checked += 1
                if page.hits.map(\.productID) == best.map({ "b\($0.1)" }) { exact += 1 }
            }
            say("  \(label): \(total) match; top-10 \(figures(latencies)); exact top-10 in \(exact) of \(checked) checked queries")
        }
        let broad = try Filter.parse("{\"half\": true}")
        var facetTimes: [Double] = []
        for _ in 0..<(self.cases == "hybrid" ? 0 : queries) {
            let vector = query()
            facetTimes.append(try time {
                _ = try search.search(vector, in: index, kind: .fused,
                                      options: SearchOptions(filter: broad, limit: 10, facets: ["brand", "bucket"]), excluding: nil)
            })
        }
        if !facetTimes.isEmpty { say("  50 % filter with facets brand (20 values) and bucket (100 values): \(figures(facetTimes))") }
        guard self.cases != "filters" else { return }
        // Hybrid: text queries, embedded by the model, fused with the full-text ranking.
        let selective = try Filter.parse("{\"bucket\": 7}")
        let hybridCases: [(String, (Int) -> String, Filter?, ((Int) -> String)?)] = [
            ("a SKU", { "SKU-\($0 * 7_919 % self.count)" }, nil, { "b\($0 * 7_919 % self.count)" }),
            ("a rare word", { "w\(Self.vocabulary - 1 - $0 % 500)" }, nil, nil),
            ("two common words", { "w\($0 % 5) w\(($0 + 1) % 7)" }, nil, nil),
            ("two common words, 1 % filter", { "w\($0 % 5) w\(($0 + 1) % 7)" }, selective, nil),
        ]
        for (label, text, filter, expected) in hybridCases {
            var latencies: [Double] = [], first = 0
            for number in 0..<queries {
                var page: SearchPage!
                latencies.append(try time {
                    page = try search.search(text: text(number), in: index, kind: .fused,
                                             options: SearchOptions(filter: filter, limit: 10, lexicalWeight: 0.5))
                })
                if let expected, page.hits.first?.productID == expected(number) { first += 1 }
            }
            say("  hybrid, \(label): \(figures(latencies))\(expected == nil ? "" : "; the product first in \(first) of \(queries)")")
        }
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A line on standard output at once (unbuffered, so a long run's figures show as they come).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
