import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VitrineCatalog
import VitrineImaging
import VitrineServer
import VitrineStore
import VitrineTestSupport

/// The search page's files, thumbnails, and the overview routes the page reads.
@Suite("Page, thumbnails and overview routes")
struct PageRouteTests {
    @Test("GET / serves the page, /app.js and /app.css its script and style, with ETags and 304s")
    func page() async throws {
        try await RouteTests.withApp { client, _ in
            var etag = ""
            try await client.execute(uri: "/", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.contains("<script src=\"/app.js\"></script>") && html.contains("href=\"/app.css\""))
                #expect(html.contains("id=\"search-form\"") && html.contains("id=\"drop\"") && html.contains("id=\"view-indexing\""))
                etag = try #require(response.headers[.eTag])
            }
            let tag = etag
            try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: tag]) { (response: TestResponse) async throws in
                #expect(response.status == .notModified && response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/app.js", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok && response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(String(buffer: response.body).contains("/api/v1/search"))
            }
            try await client.execute(uri: "/app.css", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok && response.headers[.contentType] == "text/css; charset=utf-8")
            }
        }
    }

    @Test("the page stays open with an API key configured; the API behind it does not")
    func pageWithKey() async throws {
        try await RouteTests.withApp({ $0.apiKey = "k3y" }) { client, _ in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/stats", method: .get) { try RouteTests.expectError($0, .unauthorized, "unauthorized") }
            try await client.execute(uri: "/api/v1/stats", method: .get, headers: [.authorization: "Bearer k3y"]) { #expect($0.status == .ok) }
        }
    }

    @Test("thumbnails: made by the worker, served as JPEG at most 256 px with the image digest as ETag, 304 when unchanged, 404 without an image")
    func thumbnails() async throws {
        try await RouteTests.withApp { client, store in
            let (headers, body) = RouteTests.multipart(["product_id": "p7", "name": "Lampe de bureau"], image: RouteTests.image("products/images/p07.jpg"))
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) { #expect($0.status == .accepted) }
            #expect(try await JobWorker(queue: SQLiteJobQueue(store: store), model: RouteTests.model, workerID: "test").runOnce())
            let digest = try #require(try store.product(id: "p7")?.imageDigest)
            try await client.execute(uri: "/api/v1/products/p7/thumbnail", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg")
                #expect(response.headers[.eTag] == "\"\(digest)\"" && response.headers[.cacheControl] == "no-cache")
                let thumbnail = try ImageDecoder().decode(Data(buffer: response.body))
                #expect(max(thumbnail.width, thumbnail.height) == Thumbnail.longestSide)
            }
            try await client.execute(uri: "/api/v1/products/p7/thumbnail", method: .get, headers: [.ifNoneMatch: "\"\(digest)\""]) {
                #expect($0.status == .notModified && $0.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/v1/products/p7/thumbnail", method: .get, headers: [.ifNoneMatch: "\"other\""]) { #expect($0.status == .ok) }
            // A text-only write of the same product drops its image, and the thumbnail with it.
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "product_id=p7&name=Lampe")) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/products/p7/thumbnail", method: .get) { try RouteTests.expectError($0, .notFound, "not_found") }
            try await client.execute(uri: "/api/v1/products/nope/thumbnail", method: .get) { try RouteTests.expectError($0, .notFound, "not_found") }
        }
    }

    @Test("stats: products, jobs by status, queue depth, the latest failures with their reasons")
    func stats() async throws {
        try await RouteTests.withApp { client, store in
            try await client.execute(uri: "/api/v1/stats", method: .get) { (response: TestResponse) async throws in
                let stats = try RouteTests.json(response.body)
                #expect(stats["products"] as? Int == 0 && stats["queue_depth"] as? Int == 0)
                #expect((stats["recent_failures"] as? [Any])?.isEmpty == true)
            }
            // A JPEG whose header is fine but whose data is cut: accepted, then failed by the worker.
            var cut = RouteTests.image("products/images/p05.jpg")
            cut = cut.getSlice(at: 0, length: cut.readableBytes / 3)!
            let (headers, body) = RouteTests.multipart(["product_id": "cut", "name": "Mug"], image: cut)
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) { #expect($0.status == .accepted) }
            let (okHeaders, okBody) = RouteTests.multipart(["product_id": "ok", "name": "Mug"], image: RouteTests.image("products/images/p05.jpg"))
            try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: okHeaders, body: okBody) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/api/v1/stats", method: .get) { (response: TestResponse) async throws in
                let stats = try RouteTests.json(response.body)
                #expect(stats["queue_depth"] as? Int == 2 && (stats["jobs"] as? [String: Int])?["queued"] == 2)
            }
            #expect(try await JobWorker(queue: SQLiteJobQueue(store: store), model: RouteTests.model, workerID: "test").runOnce())
            try await client.execute(uri: "/api/v1/stats", method: .get) { (response: TestResponse) async throws in
                let stats = try RouteTests.json(response.body)
                #expect(stats["products"] as? Int == 1 && stats["with_image"] as? Int == 1 && stats["queue_depth"] as? Int == 0)
                // Both uploads are kept while their jobs are (the broken one goes with its job's purge).
                #expect(stats["kept_uploads"] as? Int == 2 && stats["kept_upload_bytes"] as? Int == 8_502 + 8_502 / 3)
                #expect((stats["jobs"] as? [String: Int]) == ["queued": 0, "processing": 0, "succeeded": 1, "failed": 1])
                let failure = try #require((stats["recent_failures"] as? [[String: Any]])?.first)
                #expect(failure["product_id"] as? String == "cut" && (failure["error"] as? String)?.contains("ends before") == true)
            }
        }
    }

    @Test("duplicates: groups of near-identical images; the threshold is checked")
    func duplicates() async throws {
        try await RouteTests.withApp { client, store in
            for (id, file) in [("a", "products/images/p07.jpg"), ("a-copy", "products/variants/p07--jpeg-q12.jpg"), ("b", "products/images/p05.jpg")] {
                let (headers, body) = RouteTests.multipart(["product_id": id, "name": id], image: RouteTests.image(file))
                try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) { #expect($0.status == .accepted) }
            }
            #expect(try await JobWorker(queue: SQLiteJobQueue(store: store), model: RouteTests.model, workerID: "test").runOnce())
            try await client.execute(uri: "/api/v1/duplicates", method: .get) { (response: TestResponse) async throws in
                let groups = try #require(try RouteTests.json(response.body)["groups"] as? [[String: Any]])
                let ids = groups.map { (($0["products"] as? [[String: Any]]) ?? []).compactMap { $0["product_id"] as? String } }
                #expect(ids == [["a", "a-copy"]])
            }
            try await client.execute(uri: "/api/v1/duplicates?threshold=2", method: .get) { try RouteTests.expectError($0, .unprocessableContent, "invalid_field") }
        }
    }
}
