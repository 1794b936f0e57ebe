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

    /// Synchronous: embed, store durably, answer.
    func indexProduct(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let form = try await ProductForm.read(request, limit: deps.configuration.maxBodyBytes)
        let fields = try form.validated()
        let text = ProductText(name: fields.name, description: fields.description, metadata: fields.metadata)
        let vector: Embedding
        do { vector = try deps.model.embedText(text) } catch {
            throw APIError.invalid("name", "has no words to embed")
        }
        let record = ProductRecord(
            productID: fields.id, name: fields.name, description: fields.description, metadata: fields.metadata,
            textDigest: Digest.text(name: fields.name, description: fields.description, metadata: fields.metadata),
            imageDigest: nil, imageWidth: nil, imageHeight: nil, model: deps.model.id,
            fused: vector.vector, image: nil, text: vector.vector)
        do { try await deps.batcher.submit(record) } catch let error as StoreError { throw APIError(error) }
        return try JSON.response(.ok, [
            ("status", .string("success")), ("message", .string("Product \(fields.id) indexed")),
            ("product_id", .string(fields.id)), ("embedding_dimension", .int(vector.vector.count)),
            ("model", .string(deps.model.id)),
        ])
    }

    /// Checked at once, stored durably with its job, answered 202; workers do the rest.
    func indexWithImage(_ request: Request, _ context: VitrineRequestContext) async throws -> Response {
        let inFlight = deps.uploadsInFlight.add(1, ordering: .relaxed).newValue
        defer { deps.uploadsInFlight.subtract(1, ordering: .relaxed) }
        guard inFlight <= deps.configuration.maxConcurrentUploads else {
            throw APIError(.tooManyRequests, "too_many_uploads", "too many uploads at once; retry in a moment")
        }
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        guard contentType.hasPrefix("multipart/form-data") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send multipart/form-data with the fields and a file part named \"image\"")
        }
        let form = try await ProductForm.read(request, limit: deps.configuration.maxBodyBytes)
        let fields = try form.validated()
        guard let image = form.image, !image.isEmpty else { throw APIError.missing("image") }
        // The type from the bytes and the size from the header, before anything is stored.
        do throws(ImagingError) {
            _ = try deps.model.decoder.info(of: image)
        } catch {
            throw APIError(error)
        }
        let requestFields = IndexRequest(productID: fields.id, name: fields.name, description: fields.description,
                                         metadata: fields.metadata)
        let jobs = deps.jobs
        let job: JobRecord
        do {
            job = try await deps.enqueuer.submit(Upload(request: requestFields, image: Data(image), imageDigest: Digest.sha256(image)))
        } catch let error as StoreError { throw APIError(error) }
        if request.uri.queryParameters.get("wait") == "true" {
            let finished = try await JobRoutes.wait(for: job.id, jobs: jobs, timeout: deps.configuration.waitTimeout)
            if let finished, finished.status == .succeeded || finished.status == .failed {
                return try JSON.response(.ok, JobRoutes.fields(finished))
            }
        }
        return try JSON.response(.accepted, [
            ("status", .string("queued")), ("job_id", .string(job.id)), ("product_id", .string(fields.id)),
            ("status_url", .string("/api/v1/jobs/\(job.id)")),
        ])
    }
}
