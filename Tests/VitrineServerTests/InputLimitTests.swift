import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VitrineProbe
@testable import VitrineServer
import VitrineCatalog
import VitrineStore
import VitrineTestSupport

/// Every input bounded before work starts: fields, queries, top_k, bodies, parts; heavy work admitted, not queued.
@Suite("Input limits and admission")
struct InputLimitTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    static let json: HTTPFields = [.contentType: "application/json"]

    @Test("each text field at its limit is accepted and one byte over is 413 field_too_large naming it, in form, JSON and multipart bodies")
    func fieldLimits() async throws {
        var limits = FieldLimits.default
        limits.productID = 20
        limits.name = 30
        limits.description = 40
        limits.metadata = 50
        try await RouteTests.withApp({ $0.fieldLimits = limits }) { client, store in
            for (field, limit) in [("product_id", 20), ("name", 30), ("description", 40), ("metadata", 50)] {
                for size in [limit, limit + 1] {
                    var fields = ["product_id": "p-\(field)", "name": "Lampe"]
                    fields[field] = String(repeating: "é", count: size / 2) + String(repeating: "a", count: size % 2)
                    let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
                    let jsonBody = String(data: try JSONSerialization.data(withJSONObject: fields), encoding: .utf8)!
                    let (multipartHeaders, multipartBody) = RouteTests.multipart(fields)
                    for (headers, payload) in [(Self.form, ByteBuffer(string: body)), (Self.json, ByteBuffer(string: jsonBody)),
                                               (multipartHeaders, multipartBody)] {
                        try await client.execute(uri: "/api/v1/index-product", method: .post, headers: headers, body: payload) { (response: TestResponse) async throws in
                            if size == limit {
                                #expect(response.status == .ok, "\(field) of \(size) bytes (\(headers)): \(String(buffer: response.body))")
                            } else {
                                try RouteTests.expectError(response, .contentTooLarge, "field_too_large")
                                let message = try #require(try RouteTests.json(response.body)["message"] as? String)
                                #expect(message.contains("\"\(field)\"") && message.contains("\(limit) bytes"), "\(message)")
                            }
                        }
                    }
                }
            }
            // Over a limit nothing was stored.
            #expect(try store.count() == 4)
            // A search query over its limit, top_k over the most.
            try await client.execute(uri: "/api/v1/search", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"query": "\#(String(repeating: "q", count: 4097))"}"#)) {
                try RouteTests.expectError($0, .contentTooLarge, "field_too_large")
            }
            try await client.execute(uri: "/api/v1/search", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"query": "lampe", "top_k": 1001}"#)) {
                try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
            }
            try await client.execute(uri: "/api/v1/products/p-name/similar?top_k=5000", method: .get) {
                try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
            }
        }
    }

    @Test("a huge field is refused as soon as its limit is passed; bodies, parts, part headers and JSON depth are capped")
    func bodies() async throws {
        try await RouteTests.withApp { client, store in
            // 27 MB of name, urlencoded: refused by the field limit, whatever the body limit.
            let huge = "product_id=big&name=" + String(repeating: "a", count: 27_000_000)
            // (How fast, and with how little memory, is measured by `vitrine-bench hostile` on the release build.)
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: Self.form, body: ByteBuffer(string: huge)) {
                try RouteTests.expectError($0, .contentTooLarge, "field_too_large")
            }
            // The same in a multipart upload (the image part comes after it).
            let (headers, body) = RouteTests.multipart(["product_id": "big", "name": String(repeating: "n", count: 2_000_000)],
                                                       image: RouteTests.image("products/images/p05.jpg"))
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) {
                try RouteTests.expectError($0, .contentTooLarge, "field_too_large")
            }
            // A JSON body over the form limit.
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"name": "\#(String(repeating: "x", count: 2 << 20))"}"#)) {
                try RouteTests.expectError($0, .contentTooLarge, "too_large")
            }
            // Too many parts; a part header that never ends; deep JSON.
            var many: [String: String] = [:]
            for index in 0..<20 { many["extra\(index)"] = "x" }
            many["product_id"] = "m"
            many["name"] = "Mug"
            let (manyHeaders, manyBody) = RouteTests.multipart(many)
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: manyHeaders, body: manyBody) {
                try RouteTests.expectError($0, .badRequest, "bad_request")
            }
            var longHeader = ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 100_000))\"\r\n\r\nx\r\n--b--\r\n")
            try await client.execute(uri: "/api/v1/index-product", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=b"], body: longHeader) {
                try RouteTests.expectError($0, .badRequest, "bad_request")
            }
            longHeader = ByteBuffer(string: "--b\r\nX-Junk: \(String(repeating: "j", count: 9_000))\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n")
            try await client.execute(uri: "/api/v1/index-product", method: .post,
                                     headers: [.contentType: "multipart/form-data; boundary=b"], body: longHeader) {
                try RouteTests.expectError($0, .badRequest, "bad_request")
            }
            for boundary in ["", "\"\"", String(repeating: "b", count: 71)] {
                try await client.execute(uri: "/api/v1/index-product", method: .post,
                                         headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(string: "x")) {
                    try RouteTests.expectError($0, .badRequest, "bad_request")
                }
            }
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: String(repeating: "[", count: 100_000))) {
                try RouteTests.expectError($0, .badRequest, "bad_request")
            }
            #expect(try store.count() == 0)
        }
    }

    @Test("index-catalog applies the same limits per row, naming the row and the field")
    func catalogueRows() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let catalogue = folder.appendingPathComponent("c.csv")
        try "product_id,name,description\nok,Lampe,courte\nlong,\(String(repeating: "n", count: 1_025)),x\nd,Mug,\(String(repeating: "d", count: 65_537))\n"
            .write(to: catalogue, atomically: true, encoding: .utf8)
        let store = try SQLiteProductStore(path: folder.appendingPathComponent("c.sqlite").path)
        let summary = try CatalogIndexer(store: store, model: RouteTests.model).index(catalogPath: catalogue.path)
        #expect(summary.indexed == 1 && summary.failed == 2)
        let failures = Dictionary(uniqueKeysWithValues: summary.failures.map { ($0.row, $0) })
        #expect(failures[3]?.code == "field_too_large" && failures[3]?.reason.contains("\"name\"") == true)
        #expect(failures[4]?.code == "field_too_large" && failures[4]?.reason.contains("\"description\"") == true)
        #expect(failures[4]?.reason.contains("row 4") == true)
    }

    @Test("when the admitted work is full, a heavy request is answered 429 with Retry-After at once; the admitted one finishes")
    func admission() async throws {
        try await RouteTests.withDeps({ $0.poolThreads = 1; $0.maxPendingWork = 1 }) { deps, store in
            _ = try CatalogIndexer(store: store, model: RouteTests.model).index(
                catalogPath: Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path)
            let app = VitrineServer.application(deps, logger: Logger(label: "test"))
            try await app.test(.router) { client in
                // The pool's one thread is held; the first search is admitted and waits for it.
                let release = DispatchSemaphore(value: 0), holding = DispatchSemaphore(value: 0)
                let held = Task { try await deps.pool.run { holding.signal(); _ = release.wait(timeout: .now() + 30) } }
                // The thread is held before the first search is sent (else that search may take it first, and finish).
                try await onOwnThread { _ = holding.wait(timeout: .now() + 30) }
                let first = Task {
                    try await client.execute(uri: "/api/v1/search", method: .post, headers: Self.json,
                                             body: ByteBuffer(string: #"{"query": "lampe"}"#)) { $0.status }
                }
                let deadline = Date().addingTimeInterval(10)
                while deps.admission.current < 1 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
                try await client.execute(uri: "/api/v1/search", method: .post, headers: Self.json,
                                         body: ByteBuffer(string: #"{"query": "lampe"}"#)) { (response: TestResponse) async throws in
                    try RouteTests.expectError(response, .tooManyRequests, "busy")
                    #expect(response.headers[.retryAfter] == "1")
                }
                try await client.execute(uri: "/api/v1/products/p07/similar", method: .get) { try RouteTests.expectError($0, .tooManyRequests, "busy") }
                release.signal()
                try await held.value
                #expect(try await first.value == .ok)
            }
        }
    }

    @Test("duplicates are computed once per store version and shared by concurrent callers; the threshold has a floor")
    func duplicatesCache() async throws {
        try await RouteTests.withDeps { deps, store in
            _ = try CatalogIndexer(store: store, model: RouteTests.model).index(
                catalogPath: Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path)
            let results = try await withThrowingTaskGroup(of: [DuplicateGroup].self) { group in
                for threshold in [0.8, 0.85, 0.9, 0.85, 0.95] as [Float] { group.addTask { try await deps.duplicates.groups(at: threshold) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 5 && deps.duplicates.computations == 1)
            _ = try await deps.duplicates.groups(at: 0.85)
            #expect(deps.duplicates.computations == 1, "no change, no computation")
            try store.upsert([try #require(try store.product(id: "t01"))])
            _ = try await deps.duplicates.groups(at: 0.85)
            #expect(deps.duplicates.computations == 2, "a write makes the next call compute again")
            let app = VitrineServer.application(deps, logger: Logger(label: "test"))
            try await app.test(.router) { client in
                for threshold in ["0.001", "0.79", "nan", "1.5"] {
                    try await client.execute(uri: "/api/v1/duplicates?threshold=\(threshold)", method: .get) {
                        try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
                    }
                }
                try await client.execute(uri: "/api/v1/duplicates?threshold=0.8", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test("background failures are counted in /metrics by operation, beside the pool and admission gauges")
    func backgroundFailures() async throws {
        try await RouteTests.withDeps { deps, _ in
            deps.metrics.failure("lease_renewal")
            deps.metrics.failure("lease_renewal")
            deps.metrics.failure("retention_purge")
            let app = VitrineServer.application(deps, logger: Logger(label: "test"))
            try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { (response: TestResponse) async throws in
                    let text = String(buffer: response.body)
                    #expect(text.contains(#"vitrine_background_errors_total{operation="lease_renewal"} 2"#), "\(text)")
                    #expect(text.contains(#"vitrine_background_errors_total{operation="retention_purge"} 1"#))
                    #expect(text.contains("vitrine_pool_pending") && text.contains("vitrine_admitted_requests") && text.contains("vitrine_upload_bytes_held"))
                }
            }
        }
    }

    @Test("a 503 says a fixed sentence and the request id; the database path and SQLite's words are only logged")
    func unavailableSaysNoMore() throws {
        let error = APIError(StoreError(.failed, "writing /srv/secret/db.sqlite failed: SQLite error 5: database is locked - while executing `BEGIN`"))
        #expect(error.status == .serviceUnavailable && error.retryAfter == 1)
        #expect(!error.message.contains("/srv") && !error.message.contains("SQLite") && !error.message.contains("BEGIN"))
        #expect(error.detail?.contains("/srv/secret") == true)
    }
}
