import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VitrineCatalog
import VitrineEmbedding
@testable import VitrineServer
import VitrineStore
import VitrineTestSupport

/// Every route and every error, in process, through the real application.
@Suite("HTTP routes")
struct RouteTests {
    static let model: EmbeddingModel = {
        do throws(EmbeddingError) {
            return try EmbeddingModel.load(manifestURL: Repository.root.appendingPathComponent("models/vitrine-clip-v3.json"))
        } catch { fatalError("\(error)") }
    }()

    static func image(_ relative: String) -> ByteBuffer {
        ByteBuffer(bytes: try! Data(contentsOf: Repository.fixtures.appendingPathComponent(relative)))
    }

    /// The server's own dependencies on a temporary database (for tests that need the router or the pool).
    static func withDeps(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                         _ body: (Dependencies, SQLiteProductStore) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteProductStore(path: folder.appendingPathComponent("r.sqlite").path)
        var configuration = ServerConfiguration()
        configuration.workers = 0
        configuration.waitTimeout = 0.3
        configure(&configuration)
        try await body(Dependencies(configuration: configuration, storage: Storage(sqlite: store), model: model), store)
    }

    /// Runs `body` against a fresh application on a temporary database.
    static func withApp(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                        _ body: @Sendable (any TestClientProtocol, SQLiteProductStore) async throws -> Void) async throws {
        try await withDeps(configure) { deps, store in
            try await VitrineServer.application(deps, logger: Logger(label: "vitrine")).test(.router) { client in try await body(client, store) }
        }
    }

    /// Runs `body` with the port of a fresh application served on a real socket (127.0.0.1, a free port).
    static func withLiveServer(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                               _ body: @Sendable (Int, Dependencies) async throws -> Void) async throws {
        try await withDeps(configure) { deps, _ in
            try await VitrineServer.application(deps, logger: Logger(label: "vitrine")).test(.live) { client in
                try await body(try #require(client.port), deps)
            }
        }
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    /// A multipart body with text fields and, optionally, an image part.
    static func multipart(_ fields: [String: String], image: ByteBuffer? = nil, boundary: String = "vitrine-boundary")
        -> (HTTPFields, ByteBuffer) {
        var body = ByteBuffer()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        if var image {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            body.writeBuffer(&image)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return ([.contentType: "multipart/form-data; boundary=\(boundary)"], body)
    }

    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = try json(response.body)
        #expect(body["status"] as? String == "error", sourceLocation: sourceLocation)
        #expect(body["code"] as? String == code, "\(body)", sourceLocation: sourceLocation)
        #expect((body["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test("health, ready, metrics and the OpenAPI document")
    func operations() async throws {
        try await Self.withApp { client, _ in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response.body)["model"] as? String == "vitrine-clip@3")
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { (response: TestResponse) async throws in
                let text = String(buffer: response.body)
                for path in ["/api/v1/index-product:", "/api/v1/index-product-with-image:", "/api/v1/jobs/{job_id}:",
                             "/api/v1/products/{product_id}:", "/api/v1/products/{product_id}/similar:", "/api/v1/search:",
                             "/health:", "/ready:", "/metrics:", "/api/v1/products/{product_id}/thumbnail:",
                             "/api/v1/stats:", "/api/v1/duplicates:", "  /:"] {
                    #expect(text.contains(path), "openapi.yaml documents \(path)")
                }
            }
            try await client.execute(uri: "/nowhere", method: .get) { try Self.expectError($0, .notFound, "not_found") }
            try await client.execute(uri: "/metrics", method: .get) { (response: TestResponse) async throws in
                let text = String(buffer: response.body)
                #expect(text.contains("vitrine_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 1"), "\(text)")
                #expect(text.contains("vitrine_http_request_duration_seconds_bucket{route=\"/health\""))
                #expect(text.contains("vitrine_queue_depth") && text.contains("vitrine_products"))
                #expect(text.contains("vitrine_jobs_processed") && text.contains("vitrine_jobs_failed"))
            }
        }
    }

    @Test("index-product: form, JSON and multipart bodies; an upsert; every field error")
    func indexProduct() async throws {
        try await Self.withApp { client, store in
            let form = "product_id=42&name=Robe+d%27%C3%A9t%C3%A9&description=L%C3%A9g%C3%A8re&metadata=%7B%22size%22%3A%22M%22%7D"
            try await client.execute(uri: "/api/v1/index-product", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["status"] as? String == "success" && body["product_id"] as? String == "42")
                #expect(body["embedding_dimension"] as? Int == 512 && body["model"] as? String == "vitrine-clip@3")
            }
            #expect(try store.product(id: "42")?.name == "Robe d'été")
            #expect(try store.product(id: "42")?.metadata == "{\"size\":\"M\"}")
            let json = #"{"product_id": "42", "name": "Robe longue", "metadata": {"size": "L", "tags": ["été"]}}"#
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: json)) { #expect($0.status == .ok) }
            #expect(try store.count() == 1, "re-posting is an upsert")
            #expect(try store.product(id: "42")?.metadata == #"{"size":"L","tags":["été"]}"#)
            let (headers, body) = Self.multipart(["product_id": "43", "name": "Lampe"])
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: headers, body: body) { #expect($0.status == .ok) }
            #expect(try store.count() == 2)

            for (payload, status, code) in [("name=sans+id", HTTPResponse.Status.unprocessableContent, "missing_field"),
                                            ("product_id=1", .unprocessableContent, "missing_field"),
                                            ("product_id=1&name=%20%20", .unprocessableContent, "missing_field"),
                                            ("product_id=a%01b&name=x", .unprocessableContent, "invalid_field"),
                                            ("product_id=\(String(repeating: "x", count: 300))&name=a", .contentTooLarge, "field_too_large")] {
                try await client.execute(uri: "/api/v1/index-product", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: payload)) {
                    try Self.expectError($0, status, code)
                }
            }
            // Form decoding: '+' is a space, %2B a plus; broken escapes are kept as they are.
            try await client.execute(uri: "/api/v1/index-product", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "product_id=x%2By%zz&name=Mug+%C3%A0+caf%C3%A9%4")) { #expect($0.status == .ok) }
            #expect(try store.product(id: "x+y%zz")?.name == "Mug à café%4")
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: [.contentType: "text/plain"],
                                     body: ByteBuffer(string: "hello")) { try Self.expectError($0, .unsupportedMediaType, "unsupported_media_type") }
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: "{not json")) { try Self.expectError($0, .badRequest, "bad_request") }
        }
    }

    @Test("with-image: checked at once (415, 413, 422), stored with its job (202), finished by a worker")
    func withImage() async throws {
        try await Self.withApp { client, store in
            let (headers, body) = Self.multipart(["product_id": "p7", "name": "Lampe de bureau"], image: Self.image("products/images/p07.jpg"))
            var jobID = ""
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) { (response: TestResponse) async throws in
                #expect(response.status == .accepted)
                let answer = try Self.json(response.body)
                #expect(answer["status"] as? String == "queued" && answer["product_id"] as? String == "p7")
                jobID = answer["job_id"] as? String ?? ""
                #expect(answer["status_url"] as? String == "/api/v1/jobs/\(jobID)")
            }
            let id = jobID
            try await client.execute(uri: "/api/v1/jobs/\(id)", method: .get) { (response: TestResponse) async throws in
                let job = try Self.json(response.body)
                #expect(job["status"] as? String == "queued" && job["attempts"] as? Int == 0)
                #expect(job["created_at"] is String && job["finished_at"] is NSNull)
            }
            // No in-process workers here: a worker finishes it.
            let worker = JobWorker(queue: SQLiteJobQueue(store: store), model: Self.model, workerID: "test")
            #expect(try await worker.runOnce())
            try await client.execute(uri: "/api/v1/jobs/\(id)", method: .get) { (response: TestResponse) async throws in
                let job = try Self.json(response.body)
                #expect(job["status"] as? String == "succeeded" && job["attempts"] as? Int == 1)
            }
            #expect(try store.product(id: "p7")?.image != nil)
            try await client.execute(uri: "/api/v1/jobs/nope", method: .get) { try Self.expectError($0, .notFound, "not_found") }

            for (file, status, code) in [("images/bad/format-gif.gif", HTTPResponse.Status.unsupportedMediaType, "unsupported_format"),
                                         ("images/bad/html-named.jpg", .unsupportedMediaType, "unsupported_format"),
                                         ("images/bad/bomb-30000.png", .contentTooLarge, "too_large"),
                                         ("images/bad/soi-only.jpg", .unprocessableContent, "truncated"),
                                         ("images/bad/bad-crc-ihdr.png", .unprocessableContent, "corrupt"),
                                         ("images/bad/empty.jpg", .unprocessableContent, "missing_field")] {
                let (headers, body) = Self.multipart(["product_id": "bad", "name": "x"], image: Self.image(file))
                try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) {
                    try Self.expectError($0, status, code)
                }
            }
            let (noImageHeaders, noImage) = Self.multipart(["product_id": "x", "name": "y"])
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: noImageHeaders, body: noImage) {
                try Self.expectError($0, .unprocessableContent, "missing_field")
            }
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "product_id=1&name=a")) {
                try Self.expectError($0, .unsupportedMediaType, "unsupported_media_type")
            }
            // wait=true with nobody to work answers 202 once the bounded wait is over.
            let (waitHeaders, waitBody) = Self.multipart(["product_id": "p8", "name": "Mug"], image: Self.image("products/images/p05.jpg"))
            try await client.execute(uri: "/api/v1/index-product-with-image?wait=true", method: .post, headers: waitHeaders, body: waitBody) {
                #expect($0.status == .accepted)
            }
            #expect(try SQLiteJobQueue(store: store).counts()[.queued] == 1, "nothing refused was stored")
        }
    }

    @Test("limits: a body above the limit is 413; too many uploads at once is 429")
    func limits() async throws {
        try await Self.withApp({ $0.maxBodyBytes = 50_000 }) { client, _ in
            let (headers, body) = Self.multipart(["product_id": "big", "name": "x"], image: Self.image("images/texture-256x192.png"))
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) {
                try Self.expectError($0, .contentTooLarge, "too_large")
            }
        }
        try await Self.withApp({ $0.maxUploadMemoryBytes = 1_000 }) { client, _ in
            let (headers, body) = Self.multipart(["product_id": "p", "name": "x"], image: Self.image("products/images/p05.jpg"))
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) {
                try Self.expectError($0, .tooManyRequests, "too_many_uploads")
            }
        }
    }

    @Test("search follows writes, deletes and other processes' writes in place, without reloading its index")
    func liveSearch() async throws {
        try await Self.withDeps { deps, store in
            try await VitrineServer.application(deps, logger: Logger(label: "vitrine")).test(.router) { client in
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                func top(_ query: String) async throws -> [String] {
                    try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: #"{"query": "\#(query)", "top_k": 3}"#)) { response in
                        try #require(try Self.json(response.body)["results"] as? [[String: Any]]).compactMap { $0["product_id"] as? String }
                    }
                }
                for (id, name) in [("l1", "Lampe de chevet laiton"), ("l2", "Robe rouge coton"), ("l3", "Tasse en grès bleu")] {
                    try await client.execute(uri: "/api/v1/index-product", method: .post, headers: form,
                                             body: ByteBuffer(string: "product_id=\(id)&name=\(name)")) { #expect($0.status == .ok) }
                }
                #expect(try await top("robe rouge coton").first == "l2")
                let index = try deps.indexes.index(.fused)
                // Written by this process: searchable on the very next search.
                try await client.execute(uri: "/api/v1/index-product", method: .post, headers: form,
                                         body: ByteBuffer(string: "product_id=l4&name=Robe rouge coton bio")) { #expect($0.status == .ok) }
                #expect(try await top("robe rouge coton bio").first == "l4")
                try await client.execute(uri: "/api/v1/products/l2", method: .delete) { #expect($0.status == .ok) }
                #expect(try await !top("robe rouge coton").contains("l2"), "a deleted product never appears")
                // Written by another process: searchable within the staleness interval.
                try SQLiteProductStore(path: store.path).upsert([try ProductEmbedder(model: Self.model).record(
                    ProductFields(productID: "l5", name: "Chaise pliante en hêtre"))])
                try await Task.sleep(for: .milliseconds(150))
                #expect(try await top("chaise pliante en hêtre").first == "l5")
                #expect(try deps.indexes.index(.fused) === index, "one index, updated in place")
                #expect(index.count == 4)
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(text.contains(#"vitrine_search_index_products{kind="fused"} 4"#), "\(text)")
                    #expect(text.contains(#"vitrine_search_index_lag{kind="fused"} 0"#), "the index is current")
                }
            }
        }
    }

    @Test("products: get, similar, search by text and image, delete; and their errors")
    func products() async throws {
        try await Self.withApp { client, store in
            _ = try CatalogIndexer(store: store, model: Self.model).index(
                catalogPath: Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path)
            try await client.execute(uri: "/api/v1/products/p07", method: .get) { (response: TestResponse) async throws in
                let product = try Self.json(response.body)
                #expect(product["name"] as? String == "Lampe de bureau" && product["has_image"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/products/p07-carre/similar?top_k=2&mode=image", method: .get) { (response: TestResponse) async throws in
                let results = try #require(try Self.json(response.body)["results"] as? [[String: Any]])
                #expect(results.count == 2 && results.first?["product_id"] as? String == "p07")
            }
            try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"query": "lampe de bureau", "top_k": 3, "mode": "text"}"#)) { (response: TestResponse) async throws in
                let results = try #require(try Self.json(response.body)["results"] as? [[String: Any]])
                #expect(results.count == 3 && results.first?["product_id"] as? String == "p07")
                #expect(results.first?["score"] is Double && results.first?["name"] is String)
            }
            let (headers, body) = Self.multipart(["top_k": "1", "mode": "image"], image: Self.image("products/variants/p09--flip.jpg"))
            try await client.execute(uri: "/api/v1/search", method: .post, headers: headers, body: body) { (response: TestResponse) async throws in
                let results = try #require(try Self.json(response.body)["results"] as? [[String: Any]])
                #expect(results.first?["product_id"] as? String == "p09")
            }
            try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"top_k": 3}"#)) { try Self.expectError($0, .unprocessableContent, "missing_field") }
            try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"query": "x", "top_k": 0}"#)) { try Self.expectError($0, .unprocessableContent, "invalid_field") }
            try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"query": "x", "mode": "colour"}"#)) { try Self.expectError($0, .unprocessableContent, "invalid_field") }
            try await client.execute(uri: "/api/v1/products/t01/similar?mode=image", method: .get) {
                try Self.expectError($0, .unprocessableContent, "invalid_request")
            }
            try await client.execute(uri: "/api/v1/products/nope/similar", method: .get) { try Self.expectError($0, .notFound, "not_found") }
            try await client.execute(uri: "/api/v1/products/p07", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/products/p07", method: .get) { try Self.expectError($0, .notFound, "not_found") }
            try await client.execute(uri: "/api/v1/products/p07", method: .delete) { try Self.expectError($0, .notFound, "not_found") }
            // Product ids are data, never paths.
            try await client.execute(uri: "/api/v1/products/..%2F..%2Fetc%2Fpasswd", method: .get) {
                try Self.expectError($0, .notFound, "not_found")
            }
        }
    }

    @Test("with an API key, /api/ routes need it; health stays open")
    func apiKey() async throws {
        try await Self.withApp({ $0.apiKey = "s3cret-key" }) { client, _ in
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: form, body: ByteBuffer(string: "product_id=1&name=a")) {
                try Self.expectError($0, .unauthorized, "unauthorized")
                #expect($0.headers[.wwwAuthenticate] == "Bearer")
            }
            var wrong = form
            wrong[.authorization] = "Bearer s3cret-kez"
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: wrong, body: ByteBuffer(string: "product_id=1&name=a")) {
                try Self.expectError($0, .unauthorized, "unauthorized")
            }
            var right = form
            right[.authorization] = "Bearer s3cret-key"
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: right, body: ByteBuffer(string: "product_id=1&name=a")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }
}
