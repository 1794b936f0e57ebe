import Foundation
import Logging
import Synchronization
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// What the routes share: configuration, the storage (through its protocols only), the
/// catalogue's writer and search, the work pool and its admission, caches, metrics.
final class Dependencies: Sendable {
    let configuration: ServerConfiguration
    let storage: Storage
    let model: EmbeddingModel
    /// The one image pipeline (decoder, limits, thumbnails), from the configuration.
    let images: ImagePipeline
    /// The one pool for blocking work.
    let pool: WorkPool
    /// Synchronous writes, uploads and deletes, on the catalogue's one indexing path.
    let writer: CatalogWriter
    let search: CatalogSearch
    /// The live search indexes, following the change feed.
    let indexes: SearchIndexes
    let duplicates: DuplicatesCache
    /// Admission of CPU-heavy requests to the pool (429 when full).
    let admission: Admission
    /// Upload bytes held in memory by all requests (429 when spent).
    let uploads: UploadBudget
    let metrics = ServerMetrics()
    /// Signalled when jobs are enqueued (here, or anywhere when the store notifies), so idle in-process workers start at once.
    let wakeup = Wakeup()
    /// Signalled when the store notifies that products changed (on another node): the indexes read on at once.
    let changes = Wakeup()
    /// Set when shutdown begins: /ready answers 503 from then on.
    let draining = Atomic<Bool>(false)

    var store: any ProductStore { storage.products }
    var jobs: any JobQueue { storage.jobs }

    init(configuration: ServerConfiguration, storage: Storage, model: EmbeddingModel) {
        self.configuration = configuration
        self.storage = storage
        self.model = model
        images = ImagePipeline(limits: configuration.limits, targetSize: ModelSpec.decodeTarget)
        pool = WorkPool(threads: configuration.poolThreads)
        admission = Admission(limit: configuration.maxPendingWork)
        uploads = UploadBudget(limit: configuration.maxUploadMemoryBytes)
        indexes = SearchIndexes(feed: storage.feed, modelID: model.id,
                                snapshots: configuration.indexSnapshots.map { URL(fileURLWithPath: $0) })
        search = CatalogSearch(store: storage.products, model: model, images: images)
        duplicates = DuplicatesCache(store: storage.products, feed: storage.feed, pool: pool)
        writer = CatalogWriter(storage: storage, embedder: ProductEmbedder(model: model, images: images), pool: pool,
                               maxAttempts: configuration.jobMaxAttempts, workers: wakeup, indexes: indexes)
    }

    /// The in-process job workers the configuration asks for, sharing the pool; their failures
    /// are logged and counted.
    func workers(logger: Logger) -> [JobWorker] {
        let metrics = self.metrics, pid = ProcessInfo.processInfo.processIdentifier
        // Named for the host too: workers of nodes on several hosts share one queue.
        let host = ProcessInfo.processInfo.hostName
        return (0..<configuration.workers).map { index in
            JobWorker(queue: storage.jobs, embedder: writer.embedder, workerID: "serve-\(host)-\(pid)-\(index + 1)",
                      lease: configuration.jobLease, pool: pool, onError: { operation, error in
                          logger.error("worker: \(operation) failed", metadata: ["error": "\(error)"])
                          metrics.failure(operation)
                      })
        }
    }

    /// The limits of a form or JSON body.
    var formLimits: ProductForm.Limits {
        ProductForm.Limits(bodyBytes: configuration.maxFormBytes, fields: configuration.fieldLimits, imageBytes: nil,
                           parts: configuration.maxParts, partHeaderBytes: configuration.maxPartHeaderBytes)
    }

    /// The limits of a body that may carry an image.
    var uploadLimits: ProductForm.Limits {
        ProductForm.Limits(bodyBytes: configuration.maxBodyBytes, fields: configuration.fieldLimits,
                           imageBytes: configuration.limits.maxEncodedBytes,
                           parts: configuration.maxParts, partHeaderBytes: configuration.maxPartHeaderBytes)
    }
}
