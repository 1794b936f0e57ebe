import ArgumentParser
import Foundation
import VitrineChaos
import VitrinePostgres
import VitrineProbe
import VitrineStore

/// The HTTP API under load, against the release `vitrine serve` on loopback:
/// sync index-product with wrk (requests/s, p50, p99), and with-image
/// indexing from upload to finished job (images/s) with in-process workers
/// and with 1, 2 and 4 `vitrine worker` processes; on SQLite, on PostgreSQL (a throwaway
/// cluster with fsync on, on the same two cores), or both in one run.
struct HTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Sync index-product under wrk; with-image throughput with 1, 2 and 4 worker processes; SQLite and PostgreSQL.")

    @Option(help: "Runs per figure; the median is printed.") var runs = 3
    @Option(help: "wrk duration per run, seconds.") var seconds = 10
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "Images uploaded per with-image run (0 skips the with-image runs).") var images = 1_000
    @Option(help: "Folder of 800×800 JPEGs (default: the benchmark catalogue's).") var imageFolder = "/tmp/vitrine-bench-catalog/images"
    @Option(help: "sqlite, postgres or both.") var backend = "sqlite"

    /// Where a run's data goes: a fresh SQLite file, or a fresh database on the benchmark's cluster.
    final class Databases {
        let cluster: PostgresCluster?
        init(postgres: Bool) throws {
            guard postgres else { cluster = nil; return }
            let cluster = try PostgresCluster()
            try cluster.stopWhenProcessEnds()
            try cluster.start(fsync: true)
            self.cluster = cluster
        }
        var name: String { cluster == nil ? "SQLite" : "PostgreSQL" }
        /// A fresh database (nil: the server makes its own SQLite file).
        func fresh() throws -> String? { try cluster.map { $0.url(try $0.createDatabase()) } }
        deinit { cluster?.stop() }
    }

    func run() async throws {
        let binary = BenchServer.binary
        print("http benchmark: \(binary) on loopback, 2 cores shared by server, workers, database and load generator")
        for backend in backend == "both" ? ["sqlite", "postgres"] : [backend] {
            guard backend == "sqlite" || backend == "postgres" else { throw ValidationError("--backend: sqlite, postgres or both") }
            let databases = try Databases(postgres: backend == "postgres")
            print("— \(databases.name)")
            try syncBenchmark(binary, databases)
            if images > 0 { try await imageBenchmark(binary, databases) }
            if databases.cluster != nil { try visibilityBenchmark(databases) }
        }
    }

    // MARK: visibility

    /// Two API nodes on one PostgreSQL database: a write acknowledged by one, then the other's
    /// search asked every 2 ms until it finds the product.
    func visibilityBenchmark(_ databases: Databases) throws {
        let db = try databases.fresh()
        let writer = try BenchServer(["--workers", "0"], db: db), reader = try BenchServer(["--workers", "0"], db: db)
        var delays: [Double] = []
        for index in 0..<50 {
            let id = "visible-\(index)", name = "Lampe de chevet \(index) zqx\(index)"
            let body = Array("product_id=\(id)&name=\(name.replacingOccurrences(of: " ", with: "+"))".utf8)
            let response = try RawHTTP.send(port: writer.port, RawHTTP.request(
                "POST", "/api/v1/index-product", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body))
            guard response?.status == 200 else { throw ValidationError("the write was answered \(response?.status ?? 0)") }
            let acknowledged = Date()
            let query = try JSONSerialization.data(withJSONObject: ["query": name, "top_k": 5])
            while Date().timeIntervalSince(acknowledged) < 5 {
                let found = try RawHTTP.send(port: reader.port, RawHTTP.request(
                    "POST", "/api/v1/search", headers: [("Content-Type", "application/json")], body: Array(query)))
                if let found, String(decoding: found.body, as: UTF8.self).contains("\"\(id)\"") { break }
                usleep(2_000)
            }
            delays.append(Date().timeIntervalSince(acknowledged) * 1000)
            usleep(50_000)
        }
        try writer.stop()
        try reader.stop()
        delays.sort()
        print("visibility: a write acknowledged by one node, found by the other node's search after \(String(format: "%.1f", delays[delays.count / 2])) ms median, p90 \(String(format: "%.1f", delays[delays.count * 9 / 10])) ms, max \(String(format: "%.1f", delays.last ?? 0)) ms (50 writes)")
    }

    // MARK: sync

    func syncBenchmark(_ binary: String, _ databases: Databases) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            print("sync index-product: skipped (wrk is not installed: apt-get install wrk)")
            return
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-wrk.lua")
        try Data("""
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("tid", threads)
            end
            counter = 0
            request = function()
              counter = counter + 1
              local id = "wrk-" .. tid .. "-" .. counter
              local body = "product_id=" .. id .. "&name=Robe+d%27%C3%A9t%C3%A9+" .. counter ..
                "&description=L%C3%A9g%C3%A8re+et+confortable%2C+coton+bio&metadata=%7B%22size%22%3A%22M%22%7D"
              return wrk.format("POST", "/api/v1/index-product", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
            end
            """.utf8).write(to: script)
        var results: [(Double, Double, Double)] = []
        for _ in 0..<runs {
            let server = try BenchServer(["--workers", "0"], db: try databases.fresh())
            let output = try Self.capture("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path,
                                                          "http://127.0.0.1:\(server.port)"])
            // Only successful answers count: wrk's total less its non-2xx, over its own duration.
            let answered = Int(output.components(separatedBy: " requests in").first?.split(separator: "\n").last?
                .trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            let failed = Int(Self.value(after: "Non-2xx or 3xx responses:", in: output) ?? "0") ?? 0
            let errors = Self.value(after: "Socket errors:", in: output) != nil
            let duration = Self.milliseconds(Self.value(after: " requests in ", in: output)?.trimmingCharacters(in: CharacterSet(charactersIn: ","))) / 1000
            let rate = duration > 0 ? Double(answered - failed) / duration : 0
            results.append((rate, Self.milliseconds(Self.value(after: "    50%", in: output)), Self.milliseconds(Self.value(after: "    99%", in: output))))
            // Every acknowledged product is stored: the 2xx answers against the table.
            let stored = try Self.capture(binary, ["stats", "--json", "--db", server.db])
            let products = Int(Self.value(after: "\"products\":", in: stored)?.split(separator: ",").first ?? "") ?? -1
            try server.stop()
            print("  run: \(String(format: "%.0f", rate)) successful req/s, p99 \(String(format: "%.2f", results.last!.2)) ms, \(answered - failed) answered 200, \(failed) not, \(products) products stored\(errors ? " (socket errors)" : "")")
            if products < answered - failed { throw ValidationError("\(answered - failed) writes were acknowledged but \(products) products are stored") }
        }
        let sorted = results.sorted { $0.0 < $1.0 }
        let median = sorted[sorted.count / 2]
        print("sync index-product, \(databases.name) (wrk -t2 -c\(connections) -d\(seconds)s): \(String(format: "%.0f", median.0)) req/s, p50 \(String(format: "%.2f", median.1)) ms, p99 \(String(format: "%.2f", median.2)) ms (median of \(runs) runs)")
    }

    // MARK: with image

    /// Uploads go through wrk too (a Lua script building multipart bodies from 200 photos): a
    /// Foundation client would cost the shared cores more than the server's own ingest.
    func imageBenchmark(_ binary: String, _ databases: Databases) async throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: imageFolder).filter { $0.hasSuffix(".jpg") }.sorted()) ?? []
        guard files.count >= 100, FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            print("with-image: skipped (needs wrk and photos in \(imageFolder): bash fixtures/tools/make-bench-catalog.sh)")
            return
        }
        let paths = files.prefix(200).map { "\"" + URL(fileURLWithPath: imageFolder).appendingPathComponent($0).path + "\"" }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-wrk-upload.lua")
        try Data("""
            local paths = {\(paths.joined(separator: ","))}
            local boundary = "vitrinebench7MA4YWxk"
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("tid", threads)
            end
            function init(args)
              quota = tonumber(args[1])
              photos = {}
              for i, path in ipairs(paths) do
                local file = io.open(path, "rb")
                photos[i] = file:read("*a")
                file:close()
              end
              sent = 0
              answered = 0
            end
            local function part(name, value)
              return "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"" .. name .. "\\"\\r\\n\\r\\n" .. value .. "\\r\\n"
            end
            request = function()
              sent = sent + 1
              local id = "img-" .. tid .. "-" .. sent
              local body = part("product_id", id) .. part("name", "Produit " .. id) ..
                "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"image\\"; filename=\\"p.jpg\\"\\r\\n" ..
                "Content-Type: image/jpeg\\r\\n\\r\\n" .. photos[(sent % #photos) + 1] .. "\\r\\n--" .. boundary .. "--\\r\\n"
              return wrk.format("POST", "/api/v1/index-product-with-image",
                {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
            end
            response = function(status, headers, body)
              answered = answered + 1
              if status ~= 202 then
                io.write("refused: ", status, " ", body, "\\n")
                io.flush()
              end
              if answered >= quota then wrk.thread:stop() end
            end
            """.utf8).write(to: script)
        for setup in [("in-process workers (--workers 2)", 2, 0), ("1 worker process", 0, 1), ("2 worker processes", 0, 2), ("4 worker processes", 0, 4)] {
            var rates: [Double] = []
            for _ in 0..<runs {
                let server = try BenchServer(["--workers", String(setup.1)], db: try databases.fresh())
                let port = server.port, db = server.db
                var workers: [Process] = []
                for index in 0..<setup.2 {
                    let worker = Process()
                    worker.executableURL = URL(fileURLWithPath: binary)
                    worker.arguments = ["worker", "--worker-id", "bench-\(index)", "--db", db]
                    worker.standardError = FileHandle.nullDevice
                    try worker.run()
                    workers.append(worker)
                }
                let started = Date()
                // Two wrk threads, 8 connections each; each thread stops after its half of the uploads.
                // wrk itself sleeps out its duration, so it is stopped once every upload is stored (by
                // SIGKILL: it inherits a mask that blocks SIGINT); refusals are printed as they come.
                let wrk = Process()
                wrk.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
                wrk.arguments = ["-t2", "-c16", "-d300s", "-s", script.path, "http://127.0.0.1:\(port)", "--", String(images / 2)]
                let pipe = Pipe()
                wrk.standardOutput = pipe
                wrk.standardError = FileHandle.nullDevice
                try wrk.run()
                // Poll the jobs table directly (a `vitrine stats` process per poll would cost the
                // machine ~36 ms of CPU each time).
                let queue = databases.cluster == nil ? SQLiteJobQueue(store: try SQLiteProductStore(path: db, automaticCheckpoints: false))
                    : try Storage.postgres(url: try PostgresURL(db), connections: 2).jobs
                var finished = 0, stored = 0, succeeded = 0
                let deadline = Date().addingTimeInterval(300)
                while Date() < deadline {
                    let counts = try queue.counts()
                    stored = counts.values.reduce(0, +)
                    succeeded = counts[.succeeded] ?? 0
                    finished = succeeded + (counts[.failed] ?? 0)
                    if stored >= images, wrk.isRunning { kill(wrk.processIdentifier, SIGKILL) }
                    if stored >= images, finished >= stored { break }
                    try await Task.sleep(nanoseconds: 10_000_000)
                }
                let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                wrk.waitUntilExit()
                if output.contains("refused:") { throw ValidationError("some uploads were refused:\n\(output)") }
                guard finished >= images else { throw ValidationError("only \(finished) of \(stored) jobs finished in 300 s") }
                guard succeeded == finished else { throw ValidationError("\(finished - succeeded) of \(finished) jobs failed") }
                rates.append(Double(succeeded) / Date().timeIntervalSince(started))
                for worker in workers {
                    worker.terminate()
                    worker.waitUntilExit()
                    guard worker.terminationReason == .exit, worker.terminationStatus == 0 else {
                        throw ValidationError("a worker process did not stop cleanly (status \(worker.terminationStatus))")
                    }
                }
                try server.stop()
            }
            rates.sort()
            print("with-image, \(databases.name), \(setup.0): \(String(format: "%.0f", rates[rates.count / 2])) images/s from upload to finished job (\(images) 800×800 JPEGs, 16 connections, median of \(runs) runs)")
        }
    }

    // MARK: helpers

    static func capture(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ValidationError("\(path) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func value(after label: String, in text: String) -> String? {
        guard let range = text.range(of: label) else { return nil }
        return text[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init)
    }

    static func milliseconds(_ text: String?) -> Double {
        guard let text else { return 0 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
        if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
        return Double(text) ?? 0
    }
}
