import Foundation
import HTTPTypes
import Hummingbird
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// POST /api/v1/index-product and /api/v1/index-product-with-image.
struct IndexRoutes {
    let deps: Dependencies

    func register(on router: Router<VitrineRequestContext>) {
        router.post("/api/v1/index-product") { request, context in try await self.indexProduct(request, context) }
        router.post("/api/v1/index-product-with-image") { request, context in try await self.indexWithImage(request, context) }
    }

    /// Synchronous: fields checked, then (admitted to the pool) embedded and stored durably by the catalogue, answered.
    func indexProduct(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let form = try await ProductForm.read(request, limits: deps.formLimits)
        let fields = try form.product(deps.configuration.fieldLimits)
        let model = deps.model, writer = deps.writer
        return try await deps.admission.admit {
            let record = try await APIError.mapping { try await writer.index(fields) }
            return try JSON.response(.ok, [
                ("status", .string("success")), ("message", .string("Product \(fields.productID) indexed")),
                ("product_id", .string(fields.productID)), ("embedding_dimension", .int(record.fused.count)),
                ("model", .string(model.id)),
            ])
        }
    }

    /// Checked as it arrives, stored durably with its job, answered 202; workers do the rest.
    func indexWithImage(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        guard contentType.hasPrefix("multipart/form-data") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send multipart/form-data with the fields and a file part named \"image\"")
        }
        let form = try await ProductForm.read(request, limits: deps.uploadLimits, budget: deps.uploads)
        defer { deps.uploads.release(form.reserved) }
        let fields = try form.product(deps.configuration.fieldLimits)
        guard let image = form.image, !image.isEmpty else { throw APIError.missing("image") }
        // The catalogue checks the type from the bytes and the size from the header before anything is stored.
        let writer = deps.writer
        let job = try await APIError.mapping { try await writer.enqueue(fields, image: image) }
        if request.uri.queryParameters.get("wait") == "true" {
            let finished = try await JobRoutes.wait(for: job.id, jobs: deps.jobs, pool: deps.pool, timeout: deps.configuration.waitTimeout)
            if let finished, finished.status == .succeeded || finished.status == .failed {
                return try JobRoutes.response(finished)
            }
        }
        return try JSON.response(.accepted, [
            ("status", .string("queued")), ("job_id", .string(job.id)), ("product_id", .string(fields.productID)),
            ("status_url", .string("/api/v1/jobs/\(job.id)")),
        ])
    }
}
