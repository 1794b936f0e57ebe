import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// The live writes of a long-running process (the server), on the one indexing path:
/// a synchronous product is embedded by the ``ProductEmbedder`` on the pool and
/// committed with the others waiting (group commit); an upload's header is checked
/// and it is stored durably with its job, for a ``JobWorker``; a delete takes its
/// place in the write order. Each write wakes what follows it in this process: idle
/// job workers, and the search indexes (the next search applies it first).
public final class CatalogWriter: Sendable {
    /// Where products and jobs go.
    public let storage: Storage
    /// Builds records.
    public let embedder: ProductEmbedder
    /// Where the blocking work runs.
    public let pool: WorkPool
    /// Attempts before a job fails for good.
    public let maxAttempts: Int
    /// Signalled for every enqueued upload.
    public let workers: Wakeup
    /// Told of every write.
    public let indexes: SearchIndexes?
    private let writes: GroupCommit<ProductRecord, Void>
    private let uploads: GroupCommit<Upload, JobRecord>

    /// A writer to `storage`.
    public init(storage: Storage, embedder: ProductEmbedder, pool: WorkPool, maxAttempts: Int, workers: Wakeup,
                indexes: SearchIndexes?) {
        self.storage = storage
        self.embedder = embedder
        self.pool = pool
        self.maxAttempts = maxAttempts
        self.workers = workers
        self.indexes = indexes
        let products = storage.products, jobs = storage.jobs
        writes = GroupCommit(limit: 512, pool: pool) { records in
            try products.upsert(records)
            return records.map { _ in () }
        }
        uploads = GroupCommit(limit: 64, pool: pool) { batch in try jobs.enqueue(batch, maxAttempts: maxAttempts) }
    }

    /// Embeds and stores a text-only product durably; returns its record.
    /// Throws ``CatalogError`` (a name without words) or ``StoreError``.
    public func index(_ fields: ProductFields) async throws -> ProductRecord {
        let embedder = self.embedder
        let record = try await pool.run { () throws -> ProductRecord in
            do throws(EmbeddingError) { return try embedder.record(fields) } catch {
                throw CatalogError(.invalidField, "the field \"name\" has no words to embed", field: "name")
            }
        }
        try await writes.submit(record)
        indexes?.invalidate()
        return record
    }

    /// Checks an upload's type and size from its header, then stores it durably with its job.
    /// Throws ``ImagingError`` (refused before anything is stored) or ``StoreError``.
    public func enqueue(_ fields: ProductFields, image: Data) async throws -> JobRecord {
        _ = try embedder.images.info(of: image)
        let job = try await uploads.submit(Upload(fields: fields, image: image, imageDigest: Digest.sha256(image)))
        workers.signal()
        return job
    }

    /// Deletes a product (see ``ProductStore/delete(id:)``); false when there was nothing to delete.
    public func delete(_ productID: String) async throws -> Bool {
        let products = storage.products
        let deleted = try await pool.run { try products.delete(id: productID) }
        indexes?.invalidate()
        return deleted
    }
}
