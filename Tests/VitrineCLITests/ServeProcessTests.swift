import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import VitrineChaos
import Testing
import VitrineStore
import VitrineTestSupport

/// The real `vitrine serve` binary with real `vitrine worker` processes and real HTTP clients.
@Suite("vitrine serve and workers, as processes", .serialized, .onOwnThreads)
struct ServeProcessTests {
    /// A started server (the same ``ServerProcess`` the chaos runs and benchmarks use), stopped by `stop()`.
    final class Server: @unchecked Sendable {
        let server: ServerProcess

        init(arguments: [String], environment: [String: String] = [:]) throws {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-serve-\(UUID().uuidString).log")
            server = ServerProcess(binary: ProcessRunner.binary, arguments: arguments, log: log, environment: environment,
                                   directory: Repository.root)
            try server.start(timeout: 30)
        }

        var process: Process { server.child!.process }
        var port: Int { server.port }
        var base: String { server.base }
        /// What the server has written so far.
        var log: String { server.log }

        deinit { try? FileManager.default.removeItem(at: server.logURL) }

        func stop() { server.stop() }
    }

    struct CLIFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func request(_ url: String, method: String = "GET", contentType: String? = nil, body: Data? = nil,
                        key: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = 30
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    static func multipart(_ fields: [String: String], image: Data) -> (String, Data) {
        let boundary = "b-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8))
        body.append(image)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("200 uploads to the server, two worker processes, one SIGKILLed mid-way: every job succeeds, each product once")
    func uploadsWithWorkers() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("s.sqlite").path
        let server = try Server(arguments: ["--db", db, "--workers", "0"])
        defer { server.stop() }
        func worker(_ id: String) throws -> Process {
            let process = Process()
            process.executableURL = ProcessRunner.binary
            process.arguments = ["worker", "--worker-id", id, "--db", db, "--lease", "2"]
            process.currentDirectoryURL = Repository.root
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let doomed = try worker("w1"), survivor = try worker("w2")
        defer {
            for process in [doomed, survivor] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let variants = Repository.fixtures.appendingPathComponent("products/variants")
        let photos = try FileManager.default.contentsOfDirectory(atPath: variants.path).sorted().prefix(50)
            .map { try Data(contentsOf: variants.appendingPathComponent($0)) }
        var jobIDs: [String] = []
        for index in 0..<200 {
            let (type, body) = Self.multipart(["product_id": "u\(index)", "name": "Produit \(index)"], image: photos[index % photos.count])
            let (status, answer) = try await Self.request("\(server.base)/api/v1/index-product-with-image", method: "POST",
                                                          contentType: type, body: body)
            #expect(status == 202)
            jobIDs.append(answer["job_id"] as? String ?? "")
            if index == 100 { kill(doomed.processIdentifier, SIGKILL) }
        }
        doomed.waitUntilExit()
        let queue = SQLiteJobQueue(store: try SQLiteProductStore(path: db))
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, (try queue.counts()[.succeeded] ?? 0) < 200 { try await Task.sleep(nanoseconds: 50_000_000) }
        let counts = try queue.counts()
        #expect(counts[.succeeded] == 200 && counts[.failed] == 0)
        for id in jobIDs.prefix(10) + jobIDs.suffix(10) {
            let (status, job) = try await Self.request("\(server.base)/api/v1/jobs/\(id)")
            #expect(status == 200 && job["status"] as? String == "succeeded")
        }
        let (_, found) = try await Self.request("\(server.base)/api/v1/search", method: "POST", contentType: "application/json",
                                                body: Data(#"{"query": "Produit 7", "top_k": 1, "mode": "text"}"#.utf8))
        #expect(((found["results"] as? [[String: Any]])?.first?["product_id"] as? String) == "u7",
                "search sees products indexed by other processes")
        #expect(try SQLiteProductStore(path: db).count() == 200, "each product exactly once")
    }

    /// A python3 with the requests package (the PATH's, else Debian's python3-requests), if this machine has one.
    static let pythonWithRequests: String? = [ProcessRunner.which("python3"), "/usr/bin/python3"].compactMap { $0 }.first { python in
        (try? ProcessRunner.runTool(python, ["-c", "import requests"]))?.status == 0
    }

    @Test("the old Python client's call works verbatim",
          ProcessRunner.needs(pythonWithRequests != nil, "needs python3 with requests: apt-get install python3-requests (.ci/run does)"))
    func pythonClient() async throws {
        let python = try #require(Self.pythonWithRequests, "no python3 with requests on this machine: apt-get install python3-requests")
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("p.sqlite").path
        let server = try Server(arguments: ["--db", db, "--workers", "0"])
        defer { server.stop() }
        let script = """
            import requests
            response = requests.post("\(server.base)/api/v1/index-product", data={"product_id": "py-1", "name": "Robe d'été", "description": "Très légère", "metadata": '{"size": "M"}'})
            print(response.status_code)
            print(response.json()["status"], response.json()["embedding_dimension"])
            """
        let outcome = try ProcessRunner.runTool(python, ["-c", script])
        #expect(outcome.stdout == "200\nsuccess 512\n", "\(outcome.stdout) \(outcome.stderr)")
        #expect(try SQLiteProductStore(path: db).product(id: "py-1")?.description == "Très légère")
    }

    @Test("wait=true answers when the in-process worker has finished; SIGTERM fails readiness first, drains and exits cleanly")
    func waitAndShutdown() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("p.sqlite").path
        let server = try Server(arguments: ["--db", db, "--workers", "1"])
        defer { server.stop() }
        let (readyStatus, _) = try await Self.request("\(server.base)/ready")
        #expect(readyStatus == 200)
        // With-image with wait=true answers once the in-process worker has finished.
        let photo = try Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/p05.jpg"))
        let (type, body) = Self.multipart(["product_id": "m1", "name": "Mug"], image: photo)
        let (status, job) = try await Self.request("\(server.base)/api/v1/index-product-with-image?wait=true", method: "POST",
                                                   contentType: type, body: body)
        #expect(status == 200 && job["status"] as? String == "succeeded")
        server.process.terminate()
        // Readiness fails first: /ready answers 503 (code "draining") while requests are still served.
        var sawDraining = false
        let deadline = Date().addingTimeInterval(20)
        while server.process.isRunning && Date() < deadline {
            if !sawDraining, let (status, answer) = try? await Self.request("\(server.base)/ready"), status == 503 {
                sawDraining = answer["code"] as? String == "draining"
            }
            usleep(10_000)
        }
        #expect(sawDraining, "/ready never answered 503 between SIGTERM and exit")
        #expect(!server.process.isRunning && server.process.terminationReason == .exit && server.process.terminationStatus == 0)
    }

    @Test("uploads through the server, a delete, then `vitrine reindex --all`: uploaded products keep image vector and thumbnail")
    func reindexAfterUploads() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("r.sqlite").path
        let server = try Server(arguments: ["--db", db, "--workers", "1"])
        for (id, file) in [("u1", "p05.jpg"), ("u2", "p09.jpg"), ("u3", "p11.jpg")] {
            let photo = try Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/\(file)"))
            let (type, body) = Self.multipart(["product_id": id, "name": "Produit \(id)"], image: photo)
            let (status, job) = try await Self.request("\(server.base)/api/v1/index-product-with-image?wait=true", method: "POST",
                                                       contentType: type, body: body)
            #expect(status == 200 && job["status"] as? String == "succeeded")
        }
        let (deleted, _) = try await Self.request("\(server.base)/api/v1/products/u3", method: "DELETE")
        #expect(deleted == 200)
        server.stop()
        let store = try SQLiteProductStore(path: db)
        let before = try store.products(ids: ["u1", "u2"])
        #expect(try store.stats().originals == 3, "u3's upload stays until its finished job is purged")
        let run = try ProcessRunner.run(["reindex", "--all", "--json", "--db", db], directory: folder)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"indexed\":2") && run.stdout.contains("\"failed\":0"), "\(run.stdout)")
        for id in ["u1", "u2"] {
            let product = try #require(try store.product(id: id))
            #expect(product.image != nil && product.image == before[id]?.image, "\(id) keeps its image vector")
            #expect(try store.thumbnail(productID: id) != nil, "\(id) keeps its thumbnail")
        }
        #expect(try store.product(id: "u3") == nil)
        // With the kept uploads gone, reindex says which products it cannot re-embed, and why, and leaves them.
        try await DatabaseQueue(path: db).write { db in try db.execute(sql: "DELETE FROM original") }
        let reindexed = try store.products(ids: ["u1", "u2"])
        let failing = try ProcessRunner.run(["reindex", "--all", "--db", db], directory: folder)
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("u1") && failing.stdout.contains("image_not_kept"), "\(failing.stdout)")
        #expect(try store.products(ids: ["u1", "u2"]) == reindexed, "left exactly as they were")
    }

    @Test("serve --catalog indexes the sample catalogue (its bad rows reported, not fatal), then serves it")
    func serveCatalogue() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("c.sqlite").path
        let server = try Server(arguments: ["--db", db, "--workers", "1", "--catalog", "fixtures/catalog/catalog.csv"])
        defer { server.stop() }
        let stderr = server.log
        #expect(stderr.contains("32/32 rows"), "\(stderr)")
        let (status, answer) = try await Self.request("\(server.base)/api/v1/search", method: "POST", contentType: "application/json",
                                                      body: Data(#"{"query": "robe d'été longue", "top_k": 3}"#.utf8))
        let ids = (answer["results"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? String }
        #expect(status == 200 && ids.first == "p12", "\(answer)")
        let (missing, _) = try await Self.request("\(server.base)/api/v1/products/b02")
        #expect(missing == 404) // the truncated JPEG's row was refused
        #expect(try SQLiteProductStore(path: db).count() == 25)
        // One shape per object: the CLI's --json prints exactly what the API answers.
        func api(_ path: String, body: String? = nil) async throws -> String {
            var request = URLRequest(url: URL(string: server.base + path)!)
            if let body {
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(body.utf8)
            }
            return String(decoding: try await URLSession.shared.data(for: request).0, as: UTF8.self)
        }
        func cli(_ arguments: [String]) throws -> String {
            let outcome = try ProcessRunner.run(arguments + ["--db", db], directory: Repository.root)
            #expect(outcome.status == 0, "\(arguments): \(outcome.stderr)")
            return outcome.stdout.trimmingCharacters(in: .newlines)
        }
        #expect(try await api("/api/v1/search", body: #"{"query": "robe d'été longue", "top_k": 5, "mode": "text"}"#)
                == cli(["search", "robe d'été longue", "--top-k", "5", "--mode", "text", "--json"]))
        #expect(try await api("/api/v1/duplicates?threshold=0.85") == cli(["duplicates", "--threshold", "0.85", "--json"]))
        #expect(try await api("/api/v1/products/p07") == cli(["get", "p07"]))
    }

    @Test("configuration: flags win over the environment, the environment over the defaults")
    func configuration() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("env.sqlite").path
        // VITRINE_PORT is overridden by --port 0; VITRINE_DB, VITRINE_API_KEY and VITRINE_WORKERS apply.
        let server = try Server(arguments: [], environment: ["VITRINE_PORT": "1", "VITRINE_DB": db,
                                                             "VITRINE_API_KEY": "env-key", "VITRINE_WORKERS": "0"])
        defer { server.stop() }
        #expect(server.port != 1 && server.port != 8000)
        let (refused, _) = try await Self.request("\(server.base)/api/v1/stats")
        #expect(refused == 401)
        let (status, stats) = try await Self.request("\(server.base)/api/v1/stats", key: "env-key")
        #expect(status == 200 && stats["products"] as? Int == 0)
        #expect(FileManager.default.fileExists(atPath: db), "the database is where VITRINE_DB says")
        let stderr = server.log
        #expect(!stderr.contains("in-process workers"), "VITRINE_WORKERS=0 starts none: \(stderr)")
    }
}
