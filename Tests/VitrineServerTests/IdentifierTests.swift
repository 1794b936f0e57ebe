import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VitrineCatalog
import VitrineServer
import VitrineStore
import VitrineTestSupport

/// Product ids are data: whatever they hold, they round-trip through every route.
@Suite("Ids as data")
struct IdentifierTests {
    static let ids = ["a b", "Robe d'été", "a/b", "100%", "a+b", "😀 emoji", "x%2Fy", "?#&=", "...", ".a", "%", "тест", "a\\b",
                      String(repeating: "é", count: 128)]

    /// `id` as a path segment, the way a browser's encodeURIComponent writes it.
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"))!
    }

    @Test("any id within the limit round-trips through create, the job's answer, get, thumbnail, similar and delete")
    func roundTrip() async throws {
        try await RouteTests.withApp { client, store in
            var jobs: [String: String] = [:]
            for (index, id) in Self.ids.enumerated() {
                let photo = ["products/images/p07.jpg", "products/images/p05.jpg", "products/images/p09.jpg"][index % 3]
                let (headers, body) = RouteTests.multipart(["product_id": id, "name": "Produit \(index)"], image: RouteTests.image(photo))
                try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) { (response: TestResponse) async throws in
                    #expect(response.status == .accepted, "\(id): \(String(buffer: response.body))")
                    let answer = try RouteTests.json(response.body)
                    #expect(answer["product_id"] as? String == id)
                    jobs[id] = answer["job_id"] as? String
                }
            }
            let worker = JobWorker(queue: SQLiteJobQueue(store: store), model: RouteTests.model, workerID: "test")
            while try await worker.runOnce() {}
            for id in Self.ids {
                let path = "/api/v1/products/\(Self.segment(id))"
                try await client.execute(uri: "/api/v1/jobs/\(try #require(jobs[id]))", method: .get) { (response: TestResponse) async throws in
                    let job = try RouteTests.json(response.body)
                    #expect(job["product_id"] as? String == id && job["status"] as? String == "succeeded", "\(job)")
                }
                try await client.execute(uri: path, method: .get) { (response: TestResponse) async throws in
                    #expect(response.status == .ok, "GET \(path) for \(id)")
                    #expect(try RouteTests.json(response.body)["product_id"] as? String == id)
                }
                try await client.execute(uri: path + "/thumbnail", method: .get) { (response: TestResponse) async throws in
                    #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg", "thumbnail of \(id)")
                }
                try await client.execute(uri: path + "/similar?mode=image&top_k=3", method: .get) { (response: TestResponse) async throws in
                    #expect(response.status == .ok, "similar to \(id)")
                    let results = try #require(try RouteTests.json(response.body)["results"] as? [[String: Any]])
                    #expect(results.count == 3 && !results.contains { $0["product_id"] as? String == id }, "\(results)")
                    #expect(results.allSatisfy { Self.ids.contains($0["product_id"] as? String ?? "") })
                }
            }
            for id in Self.ids {
                let path = "/api/v1/products/\(Self.segment(id))"
                try await client.execute(uri: path, method: .delete) { (response: TestResponse) async throws in
                    #expect(response.status == .ok, "DELETE \(path)")
                    #expect(try RouteTests.json(response.body)["product_id"] as? String == id)
                }
                try await client.execute(uri: path, method: .get) { try RouteTests.expectError($0, .notFound, "not_found") }
            }
            #expect(try store.count() == 0)
            // "." and ".." are refused: no URL can name them.
            for id in [".", ".."] {
                let (headers, body) = RouteTests.multipart(["product_id": id, "name": "x"], image: RouteTests.image("products/images/p07.jpg"))
                try await client.execute(uri: "/api/v1/index-product-with-image", method: .post, headers: headers, body: body) {
                    try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
                }
            }
            // Over the limit in the path: 413 naming the field; a broken escape: 400.
            try await client.execute(uri: "/api/v1/products/\(String(repeating: "x", count: 257))", method: .get) {
                try RouteTests.expectError($0, .contentTooLarge, "field_too_large")
            }
            try await client.execute(uri: "/api/v1/products/a%zzb", method: .get) { try RouteTests.expectError($0, .badRequest, "bad_request") }
        }
    }
}
