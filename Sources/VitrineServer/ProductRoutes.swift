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

    /// The decoded `product_id` of the path.
    func productID(_ context: VitrineRequestContext) throws -> String {
        try PathParameter.decoded("product_id", context, limit: deps.configuration.fieldLimits.productID)
    }

    func get(_ context: VitrineRequestContext) async throws -> Response {
        let id = try productID(context)
        let store = deps.store
        let record = try await deps.pool.api { try store.product(id: id) }
        guard let record else { throw APIError.notFound("no product \(id)") }
        return try JSON.response(.ok, JSON.product(record))
    }

    /// The product's JPEG thumbnail; its ETag is the image's digest, so a cache revalidates
    /// with If-None-Match and gets 304 until the image changes.
    func thumbnail(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let id = try productID(context)
        let store = deps.store
        let stored = try await deps.pool.api { try store.thumbnail(productID: id) }
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
        let id = try productID(context)
        let writer = deps.writer
        let deleted = try await APIError.mapping { try await writer.delete(id) }
        guard deleted else { throw APIError.notFound("no product \(id)") }
        return try JSON.response(.ok, [("status", .string("success")), ("message", .string("Product \(id) deleted")),
                                       ("product_id", .string(id))])
    }

    func similar(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let id = try productID(context)
        let k = try topK(request.uri.queryParameters.get("top_k"))
        let kind = try Self.mode(request.uri.queryParameters.get("mode"))
        let deps = self.deps
        return try await deps.admission.admit {
            let hits = try await deps.pool.api {
                try deps.search.similar(to: id, in: try deps.indexes.index(kind), kind: kind, k: k)
            }
            return try Self.results(hits)
        }
    }

    func search(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let form = try await ProductForm.read(request, limits: deps.uploadLimits, budget: deps.uploads)
        defer { deps.uploads.release(form.reserved) }
        let k = try topK(form.fields["top_k"])
        // A picture is compared with pictures unless asked otherwise; a text with the fused vectors.
        let kind = try Self.mode(form.fields["mode"], default: form.image == nil ? .fused : .image)
        let deps = self.deps
        if let image = form.image {
            do throws(ImagingError) { _ = try deps.images.info(of: image) } catch { throw APIError(error) }
            return try await deps.admission.admit {
                try Self.results(try await deps.pool.api {
                    try deps.search.search(imageBytes: image, in: try deps.indexes.index(kind), kind: kind, k: k)
                })
            }
        }
        guard let query = form.fields["query"], !query.trimmingWhitespace().isEmpty else {
            throw APIError.missing("query")
        }
        return try await deps.admission.admit {
            try Self.results(try await deps.pool.api {
                try deps.search.search(text: query, in: try deps.indexes.index(kind), kind: kind, k: k)
            })
        }
    }

    static func results(_ hits: [SearchHit]) throws -> Response {
        try JSON.response(.ok, JSON.results(hits))
    }

    func topK(_ text: String?) throws -> Int {
        do throws(CatalogError) { return try deps.configuration.fieldLimits.topK(text) } catch { throw APIError(error) }
    }

    static func mode(_ text: String?, default fallback: VectorKind = .fused) throws -> VectorKind {
        guard let text else { return fallback }
        guard let kind = VectorKind(rawValue: text) else { throw APIError.invalid("mode", "must be fused, text or image") }
        return kind
    }
}
