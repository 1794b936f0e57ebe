import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VitrineCatalog
import VitrineServer
import VitrineTestSupport

/// POST /api/v1/search, GET …/similar and GET /api/v1/duplicates with filters, pages, facets
/// and the hybrid mode, over HTTP on the sample catalogue.
@Suite("Search requests: filters, pages, facets, hybrid")
struct SearchRouteTests {
    static func post(_ client: any TestClientProtocol, _ json: String,
                     _ check: @escaping @Sendable (TestResponse) async throws -> Void) async throws {
        try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: json), testCallback: check)
    }

    @Test("a filter, facets, total, pages with a next cursor, min_score and hybrid over JSON, forms and GET")
    func fields() async throws {
        try await RouteTests.withApp { client, store in
            _ = try CatalogIndexer(store: store, model: RouteTests.model).index(
                catalogPath: Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path)
            try await Self.post(client, #"{"query": "robe", "filter": {"category": "vetements"}, "facets": ["category"], "limit": 2}"#) { response in
                let body = try RouteTests.json(response.body)
                let results = try #require(body["results"] as? [[String: Any]])
                #expect(results.count == 2 && body["total"] as? Int == 3 && body["offset"] as? Int == 0 && body["limit"] as? Int == 2)
                let facets = try #require(body["facets"] as? [String: [[String: Any]]])
                #expect(facets["category"]?.first?["value"] as? String == "vetements" && facets["category"]?.first?["count"] as? Int == 3)
                let next = try #require(body["next"] as? String)
                let seen = Set(results.compactMap { $0["product_id"] as? String })
                // The next page through the cursor: the third dress, then no more.
                try await Self.post(client, #"{"query": "robe", "filter": {"category": "vetements"}, "limit": 2, "cursor": "\#(next)"}"#) { second in
                    let page = try RouteTests.json(second.body)
                    let ids = (page["results"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? String }
                    #expect(ids.count == 1 && seen.isDisjoint(with: ids) && page["next"] is NSNull && page["offset"] as? Int == 2)
                }
                // A cursor is only good for its own search.
                try await Self.post(client, #"{"query": "lampe", "limit": 2, "cursor": "\#(next)"}"#) {
                    try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
                }
            }
            try await Self.post(client, #"{"query": "E27", "mode": "hybrid", "limit": 3}"#) { response in
                let results = try #require(try RouteTests.json(response.body)["results"] as? [[String: Any]])
                #expect(results.first?["product_id"] as? String == "p07")
            }
            try await Self.post(client, #"{"query": "robe", "min_score": 0.9}"#) { response in
                let body = try RouteTests.json(response.body)
                #expect((body["results"] as? [Any])?.isEmpty == true && body["next"] is NSNull)
            }
            // A form body carries the filter as JSON text.
            try await client.execute(uri: "/api/v1/search", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "query=lampe&filter=%7B%22category%22%3A%22luminaire%22%7D")) { response in
                let results = try #require(try RouteTests.json(response.body)["results"] as? [[String: Any]])
                #expect(results.map { $0["product_id"] as? String } == ["p07"])
            }
            try await client.execute(uri: "/api/v1/products/p02/similar?filter=%7B%22category%22%3A%22vetements%22%7D&facets=category",
                                     method: .get) { response in
                let body = try RouteTests.json(response.body)
                let ids = (body["results"] as? [[String: Any]] ?? []).compactMap { $0["product_id"] as? String }
                #expect(Set(ids) == ["p01", "p12"] && body["total"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/duplicates?threshold=0.8&filter=%7B%22category%22%3A%22nobody%22%7D", method: .get) { (response: TestResponse) async throws in
                let body = try RouteTests.json(response.body)
                #expect((body["groups"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test("malformed filters and bad paging fields are refused, naming what is wrong")
    func errors() async throws {
        try await RouteTests.withApp { client, _ in
            for filter in [#""brand""#, #"{"price": {"gte": "cheap"}}"#, #"{"brand": {"like": "A"}}"#, #"{"or": []}"#, #"{"brand": ["A"]}"#] {
                try await Self.post(client, #"{"query": "robe", "filter": \#(filter)}"#) { response in
                    try RouteTests.expectError(response, .badRequest, "invalid_filter")
                    #expect((try RouteTests.json(response.body)["message"] as? String)?.contains("filter") == true)
                }
            }
            try await client.execute(uri: "/api/v1/products/p01/similar?filter=%7Bnope", method: .get) {
                try RouteTests.expectError($0, .badRequest, "invalid_filter")
            }
            try await client.execute(uri: "/api/v1/duplicates?filter=%5B%5D", method: .get) {
                try RouteTests.expectError($0, .badRequest, "invalid_filter")
            }
            for (field, value) in [("offset", "-1"), ("offset", "9995"), ("limit", "0"), ("min_score", "2"), ("cursor", "\"???\""),
                                   ("facet_limit", "0"), ("hybrid_weight", "0.5")] {
                try await Self.post(client, #"{"query": "robe", "\#(field)": \#(value)}"#) { response in
                    try RouteTests.expectError(response, .unprocessableContent, "invalid_field")
                }
            }
            try await Self.post(client, #"{"query": "robe", "mode": "hybrid", "hybrid_weight": 3}"#) {
                try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
            }
            try await Self.post(client, #"{"query": "robe", "facets": [\#(Array(repeating: "\"a\"", count: 17).joined(separator: ","))]}"#) {
                // Repeated names count once: 17 times "a" is one facet.
                #expect($0.status == .ok)
            }
            try await Self.post(client, #"{"query": "robe", "facets": [\#((0..<17).map { "\"a\($0)\"" }.joined(separator: ","))]}"#) {
                try RouteTests.expectError($0, .unprocessableContent, "invalid_field")
            }
        }
    }
}
