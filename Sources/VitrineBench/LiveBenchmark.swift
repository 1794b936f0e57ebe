import ArgumentParser
import Foundation
import Synchronization
import VitrineCatalog
import VitrineChaos
import VitrineEmbedding
import VitrineProbe
import VitrineStore

/// Search while the catalogue is edited (issue 12): a release `vitrine serve` on a catalogue of
/// text products; search latency idle and under a steady stream of `index-product` writes;
/// the time from a write's acknowledgement to its visibility in search, for the server's own
/// writes and for another process's; the index's memory; `vitrine search` from the CLI.
struct LiveBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Search latency idle and under writes, write-to-search visibility, index memory, CLI search: 200k and 1M products.")

    @Option(help: "Catalogue sizes, comma-separated.")
    var products = "200000,1000000"

    @Option(help: "Writes per second during the measurement under writes.")
    var writes: Double = 50

    @Option(help: "Searches timed in each phase.")
    var searches = 300

    @Option(help: "Visibility samples of each kind (the server's own writes, another process's).")
    var visibility = 40

    @Option(help: "Where the catalogues and databases are kept between runs (reused when present).")
    var folder = "/tmp/vitrine-live"

    static let queries = ["robe rouge coton", "chemise bleue en lin", "lampe de bureau laiton", "tasse en grès beige",
                          "pull en laine gris", "sac en cuir noir", "coussin velours vert", "veste légère marine"]

    func run() throws {
        let sizes = products.split(separator: ",").compactMap { Int($0) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        print("live benchmark: \(BenchServer.binary), \(ProcessInfo.processInfo.activeProcessorCount) cores shared by the server and the clients")
        for size in sizes { try measure(size) }
    }

    /// A catalogue of `count` text products in families (type, colour, material, a brand and a model number).
    static func writeCatalogue(_ count: Int, to path: String) throws {
        let types = ["robe", "chemise", "pantalon", "jupe", "veste", "pull", "t-shirt", "manteau", "écharpe", "chaussures",
                     "sac", "ceinture", "lampe", "tasse", "chaise", "table", "coussin", "tapis", "bougie", "vase"]
        let colours = ["rouge", "bleu", "vert", "noir", "blanc", "gris", "jaune", "rose", "beige", "marine"]
        let materials = ["coton", "lin", "laine", "soie", "cuir", "bois", "grès", "verre", "métal", "velours"]
        let styles = ["bio", "slim", "oversize", "vintage", "brodé", "rayé", "uni", "imprimé", "léger", "chaud"]
        var generator = SeededGenerator(state: UInt64(count))
        var text = "product_id,name,description,metadata\n"
        text.reserveCapacity(count * 120)
        for row in 0..<count {
            let type = types.randomElement(using: &generator)!, colour = colours.randomElement(using: &generator)!
            let material = materials.randomElement(using: &generator)!, style = styles.randomElement(using: &generator)!
            let brand = "marque\(Int.random(in: 0..<500, using: &generator))"
            text += "sku-\(row),\(type) \(colour) \(material) \(style) \(brand),\(type) en \(material) \(colour); modèle \(row % 9973),\"{\"\"stock\"\": \(row % 50)}\"\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The database of `count` products, indexed with the release `vitrine index-catalog` (reused when present).
    func prepare(_ count: Int) throws -> String {
        let db = "\(folder)/live-\(count).sqlite"
        if let existing = try? SQLiteProductStore(path: db), (try? existing.count()) == count { return db }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let csv = "\(folder)/live-\(count).csv"
        try Self.writeCatalogue(count, to: csv)
        let started = ContinuousClock.now
        let child = try ChildProcess(URL(fileURLWithPath: BenchServer.binary), ["index-catalog", csv, "--db", db],
                                     log: URL(fileURLWithPath: "\(folder)/index-\(count).log"))
        child.wait(timeout: 3_600)
        guard child.exitedCleanly else { throw ValidationError("index-catalog failed: see \(child.logURL.path)") }
        print("  indexed \(count) products with index-catalog in \(Measure.format(Self.seconds(since: started))) s")
        return db
    }

    func measure(_ count: Int) throws {
        let db = try prepare(count)
        let snapshots = db + "-index"
        try? FileManager.default.removeItem(atPath: snapshots)
        // The CLI: the first search builds the index from the store and saves its snapshot; later ones read the snapshot.
        let cold = try cliSearch(db)
        let warm = (0..<3).map { _ in (try? cliSearch(db)) ?? .infinity }.sorted()[1]
        // The server, its index loaded from the snapshot the CLI left.
        let log = URL(fileURLWithPath: "\(folder)/serve-\(count).log")
        try? FileManager.default.removeItem(at: log)
        let server = ServerProcess(binary: URL(fileURLWithPath: BenchServer.binary),
                                   arguments: ["--db", db, "--workers", "0"], log: log)
        try server.start(timeout: 600)
        defer { _ = server.stop(timeout: 120) }
        let port = server.port
        let ready = ContinuousClock.now
        _ = try search(port, Self.queries[0])
        let firstSearch = Self.seconds(since: ready)
        for query in Self.queries { _ = try search(port, query) } // warm-up
        let pid = server.child!.pid
        let resident = BenchServer.status(pid, "VmRSS:")
        let idle = try latencies(port, count: searches)
        // Under writes: a writer at a steady rate, searches timed meanwhile, visibility probed.
        let stop = Atomic<Bool>(false)
        let written = Atomic<Int>(0), failedWrites = Atomic<Int>(0)
        let writer = Thread {
            let interval = 1 / writes
            var next = Date()
            var number = 0
            while !stop.load(ordering: .relaxed) {
                number += 1
                let body = "product_id=live-\(count)-\(number)-\(UUID().uuidString.prefix(6))&name=\("article modifié \(number) rouge coton")"
                let request = RawHTTP.request("POST", "/api/v1/index-product",
                                              headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
                if let answer = try? RawHTTP.send(port: port, request, timeout: 30), answer.status == 200 {
                    written.add(1, ordering: .relaxed)
                } else {
                    failedWrites.add(1, ordering: .relaxed)
                }
                next += interval
                let wait = next.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }
        writer.start()
        let writesStarted = ContinuousClock.now
        Thread.sleep(forTimeInterval: 1)
        let busy = try latencies(port, count: searches)
        let own = try visibilityOfOwnWrites(port, count: count)
        let foreign = try visibilityOfForeignWrites(port, db: db)
        stop.store(true, ordering: .relaxed)
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let rate = Double(written.load(ordering: .relaxed)) / Self.seconds(since: writesStarted)
        let snapshotBytes = (try? FileManager.default.attributesOfItem(atPath: snapshots + "/fused.vindex")[.size] as? Int) ?? 0
        print("""
            \(count) products:
              CLI `vitrine search`: \(Measure.format(cold, 2)) s without a snapshot (index built from the store, snapshot saved), \(Measure.format(warm, 2)) s with it (median of 3)
              server: first search \(Measure.format(firstSearch * 1000, 0)) ms after /health; resident \(resident / 1024) MiB; index snapshot \(snapshotBytes / count) bytes a product (\(snapshotBytes >> 20) MiB)
              search idle: median \(Measure.format(idle.median, 1)) ms, p90 \(Measure.format(idle.p90, 1)) ms (\(searches) searches)
              search under \(Measure.format(rate, 1)) writes/s (asked \(Measure.format(writes, 0)), \(failedWrites.load(ordering: .relaxed)) failed): median \(Measure.format(busy.median, 1)) ms, p90 \(Measure.format(busy.p90, 1)) ms — \(Measure.format(busy.median / idle.median, 2))× idle
              visible in search after the write's acknowledgement: own writes median \(Measure.format(own.median, 1)) ms, max \(Measure.format(own.max, 1)) ms; another process's median \(Measure.format(foreign.median, 1)) ms, max \(Measure.format(foreign.max, 1)) ms (\(visibility) each)
            """)
    }

    struct Figures { var median: Double; var p90: Double; var max: Double }

    static func figures(_ samples: [Double]) -> Figures {
        let sorted = samples.sorted()
        return Figures(median: sorted[sorted.count / 2], p90: sorted[sorted.count * 9 / 10], max: sorted.last ?? 0)
    }

    /// The ids of the top results for `query`.
    func search(_ port: Int, _ query: String, topK: Int = 10) throws -> [String] {
        let body = Array("{\"query\": \"\(query)\", \"top_k\": \(topK)}".utf8)
        guard let answer = try RawHTTP.send(port: port, RawHTTP.request("POST", "/api/v1/search", headers: [("Content-Type", "application/json")],
                                                                      body: body), timeout: 60),
              answer.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              let results = json["results"] as? [[String: Any]] else {
            throw ValidationError("search failed")
        }
        return results.compactMap { $0["product_id"] as? String }
    }

    func latencies(_ port: Int, count: Int) throws -> Figures {
        var samples: [Double] = []
        for number in 0..<count {
            let started = ContinuousClock.now
            _ = try search(port, Self.queries[number % Self.queries.count])
            samples.append(Self.seconds(since: started) * 1000)
        }
        return Self.figures(samples)
    }

    /// Writes through the server, then searches for each until it is the top hit.
    func visibilityOfOwnWrites(_ port: Int, count: Int) throws -> Figures {
        var samples: [Double] = []
        for number in 0..<visibility {
            let id = "probe-\(UUID().uuidString.prefix(8))", name = "sonde \(number) zèbre quartz \(id)"
            let body = Array("product_id=\(id)&name=\(name)".utf8)
            guard let answer = try RawHTTP.send(port: port, RawHTTP.request("POST", "/api/v1/index-product", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)),
                  answer.status == 200 else { throw ValidationError("a probe write failed") }
            let acknowledged = ContinuousClock.now
            while try search(port, name, topK: 1).first != id {
                guard Self.seconds(since: acknowledged) < 30 else { throw ValidationError("\(id) not visible after 30 s") }
                Thread.sleep(forTimeInterval: 0.002)
            }
            samples.append(Self.seconds(since: acknowledged) * 1000)
        }
        return Self.figures(samples)
    }

    /// Writes from this process straight into the database (as `index-catalog` or a worker on
    /// another host would), then searches the server for each until it is the top hit.
    func visibilityOfForeignWrites(_ port: Int, db: String) throws -> Figures {
        let store = try SQLiteProductStore(path: db)
        let model = try EmbeddingModel.load(manifestURL: Measure.fixturesFolder()!.deletingLastPathComponent()
            .appendingPathComponent("models/\(ModelSpec.fileStem).json"))
        let embedder = ProductEmbedder(model: model)
        var samples: [Double] = []
        for number in 0..<visibility {
            let id = "foreign-\(UUID().uuidString.prefix(8))", name = "autre \(number) girafe basalte \(id)"
            try store.upsert([try embedder.record(ProductFields(productID: id, name: name))])
            let acknowledged = ContinuousClock.now
            while try search(port, name, topK: 1).first != id {
                guard Self.seconds(since: acknowledged) < 30 else { throw ValidationError("\(id) not visible after 30 s") }
                Thread.sleep(forTimeInterval: 0.002)
            }
            samples.append(Self.seconds(since: acknowledged) * 1000)
            Thread.sleep(forTimeInterval: Double(number % 5) * 0.037) // not in step with the refresh interval
        }
        return Self.figures(samples)
    }

    /// Wall time of one `vitrine search` process.
    func cliSearch(_ db: String) throws -> Double {
        let started = ContinuousClock.now
        let child = try ChildProcess(URL(fileURLWithPath: BenchServer.binary), ["search", "--db", db, Self.queries[0], "--json"],
                                     log: URL(fileURLWithPath: "\(folder)/cli-search.log"))
        child.wait(timeout: 600)
        guard child.exitedCleanly else { throw ValidationError("vitrine search failed: see \(child.logURL.path)") }
        return Self.seconds(since: started)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
