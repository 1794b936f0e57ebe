import Foundation
import HTTPTypes
import Hummingbird
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Products and search: GET/DELETE /api/v1/products/{id}, GET …/similar, POST /api/v1/search.
struct ProductRoutes {
    let deps: Dependencies

    func register(on router: Router<VitrineRequestContext>) {
        router.get("/api/v1/products/{product_id}") { _, context in try await self.get(context) }
        router.delete("/api/v1/products/{product_id}") { _, context in try await self.delete(context) }
        router.get("/api/v1/products/{product_id}/thumbnail") { request, context in try await self.thumbnail(request, context) }
        router.get("/api/v1/products/{product_id}/similar") { request, context in try await self.similar(request, context) }
        router.post("/api/v1/search") { request, context in try await self.search(request, context) }
    }

    func get(_ context: VitrineRequestContext) async throws -> Response {
        let id = try context.parameters.require("product_id")
        let store = deps.store
        let record = try await Blocking.api { try store.product(id: id) }
        guard let record else { throw APIError.notFound("no product \(id)") }
        let formatter = ISO8601DateFormatter()
        return try JSON.response(.ok, [
            ("product_id", .string(record.productID)), ("name", .string(record.name)),
            ("description", .string(record.description)), ("metadata", .string(record.metadata)),
            ("model", .string(record.model)), ("has_image", .bool(record.image != nil)),
            ("image_digest", record.imageDigest.map(JSON.Value.string) ?? .null),
            ("image_width", record.imageWidth.map(JSON.Value.int) ?? .null),
            ("image_height", record.imageHeight.map(JSON.Value.int) ?? .null),
            ("created_at", .string(record.createdAt.map(formatter.string) ?? "")),
            ("updated_at", .string(record.updatedAt.map(formatter.string) ?? "")),
        ])
    }

    /// The product's JPEG thumbnail; its ETag is the image's digest, so a cache revalidates
    /// with If-None-Match and gets 304 until the image changes.
    func thumbnail(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let id = try context.parameters.require("product_id")
        let store = deps.store
        let stored = try await Blocking.api { try store.thumbnail(productID: id) }
        guard let stored else { throw APIError.notFound("no thumbnail for \(id): no such product, or it has no image") }
        let etag = "\"\(stored.imageDigest ?? Digest.sha256(stored.jpeg))\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "no-cache"]
        if let given = request.headers[.ifNoneMatch], given.split(separator: ",").contains(where: { $0.trimmingWhitespace() == etag || $0.trimmingWhitespace() == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "image/jpeg"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.jpeg)))
    }

    func delete(_ context: VitrineRequestContext) async throws -> Response {
        let id = try context.parameters.require("product_id")
        let store = deps.store
        let deleted = try await Blocking.api { try store.delete(id: id) }
        guard deleted else { throw APIError.notFound("no product \(id)") }
        return try JSON.response(.ok, [("status", .string("success")), ("message", .string("Product \(id) deleted")),
                                       ("product_id", .string(id))])
    }

    func similar(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let id = try context.parameters.require("product_id")
        let k = try Self.topK(request.uri.queryParameters.get("top_k"))
        let kind = try Self.mode(request.uri.queryParameters.get("mode"))
        let deps = self.deps
        let hits = try await Blocking.api {
            try deps.search.similar(to: id, in: try deps.searchCache.index(kind), kind: kind, k: k)
        }
        return try Self.results(hits)
    }

    func search(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let form = try await ProductForm.read(request, limit: deps.configuration.maxBodyBytes)
        let k = try Self.topK(form.extra["top_k"])
        let kind = try Self.mode(form.extra["mode"])
        let deps = self.deps
        let hits: [SearchHit]
        if let image = form.image {
            do throws(ImagingError) { _ = try deps.model.decoder.info(of: image) } catch { throw APIError(error) }
            hits = try await Blocking.api {
                try deps.search.search(imageBytes: image, in: try deps.searchCache.index(kind), kind: kind, k: k)
            }
        } else {
            guard let query = form.extra["query"], !query.trimmingWhitespace().isEmpty else {
                throw APIError.missing("query")
            }
            hits = try await Blocking.api {
                try deps.search.search(text: query, in: try deps.searchCache.index(kind), kind: kind, k: k)
            }
        }
        return try Self.results(hits)
    }

    static func results(_ hits: [SearchHit]) throws -> Response {
        try JSON.response(.ok, [("results", .array(hits.map { hit in
            .object([("product_id", .string(hit.productID)), ("score", .double(Double(hit.score))), ("name", .string(hit.name))])
        }))])
    }

    static func topK(_ text: String?) throws -> Int {
        guard let text else { return 10 }
        guard let k = Int(text), (1...1_000).contains(k) else { throw APIError.invalid("top_k", "must be a whole number from 1 to 1000") }
        return k
    }

    static func mode(_ text: String?) throws -> VectorKind {
        guard let text else { return .fused }
        guard let kind = VectorKind(rawValue: text) else { throw APIError.invalid("mode", "must be fused, text or image") }
        return kind
    }
}
