import Foundation
import HTTPTypes
import Hummingbird
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Products and search: GET/DELETE /api/v1/products/{id}, GET …/similar, POST /api/v1/search (filters,
/// pages, facets and hybrid ranking: ``SearchParameters``).
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
        let parameters = try self.parameters(Self.queryFields(request), image: false, identity: "similar:\(id)")
        let deps = self.deps
        return try await deps.admission.admit {
            let page = try await deps.pool.api {
                try deps.search.similar(to: id, in: try deps.indexes.index(parameters.kind), kind: parameters.kind,
                                        options: parameters.options)
            }
            return try Self.results(page, parameters)
        }
    }

    /// The search fields of a GET's query string (the first of each).
    static func queryFields(_ request: Request) -> [String: String] {
        var fields: [String: String] = [:]
        for name in SearchParameters.fields.keys {
            if let value = request.uri.queryParameters.get(name) { fields[name] = value }
        }
        return fields
    }

    /// The search fields read (400, 413 naming the field otherwise).
    func parameters(_ fields: [String: String], image: Bool, identity: String) throws -> SearchParameters {
        do throws(CatalogError) {
            return try SearchParameters.read(fields, image: image, limits: deps.configuration.fieldLimits,
                                             lexicalWeight: deps.configuration.hybridWeight, identity: identity)
        } catch {
            throw APIError(error)
        }
    }

    func search(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let form = try await ProductForm.read(request, limits: deps.uploadLimits, budget: deps.uploads)
        defer { deps.uploads.release(form.reserved) }
        let deps = self.deps
        if let image = form.image {
            // A picture is compared with pictures unless asked otherwise; a text with the fused vectors.
            let parameters = try self.parameters(form.fields, image: true, identity: "image:\(Digest.sha256(image))")
            do throws(ImagingError) { _ = try deps.images.info(of: image) } catch { throw APIError(error) }
            return try await deps.admission.admit {
                let page = try await deps.pool.api {
                    try deps.search.search(imageBytes: image, in: try deps.indexes.index(parameters.kind), kind: parameters.kind,
                                           options: parameters.options)
                }
                return try Self.results(page, parameters)
            }
        }
        guard let query = form.fields["query"], !query.trimmingWhitespace().isEmpty else {
            throw APIError.missing("query")
        }
        let parameters = try self.parameters(form.fields, image: false, identity: "text:\(query)")
        return try await deps.admission.admit {
            let page = try await deps.pool.api {
                try deps.search.search(text: query, in: try deps.indexes.index(parameters.kind), kind: parameters.kind,
                                       options: parameters.options)
            }
            return try Self.results(page, parameters)
        }
    }

    static func results(_ page: SearchPage, _ parameters: SearchParameters) throws -> Response {
        try JSON.response(.ok, JSON.page(page, options: parameters.options, next: parameters.next(page)))
    }
}
