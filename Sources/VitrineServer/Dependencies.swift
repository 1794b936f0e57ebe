import Dispatch
import Foundation
import Synchronization
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// What the routes share: configuration, store, jobs, model, the work pool and its admission, caches, metrics.
final class Dependencies: Sendable {
    let configuration: ServerConfiguration
    let store: SQLiteProductStore
    let jobs: SQLiteJobQueue
    let model: EmbeddingModel
    let search: CatalogSearch
    let searchCache: SearchCache
    let duplicates: DuplicatesCache
    /// The one pool for blocking work.
    let pool: WorkPool
    /// Admission of CPU-heavy requests to the pool (429 when full).
    let admission: Admission
    /// Upload bytes held in memory by all requests (429 when spent).
    let uploads: UploadBudget
    /// Synchronous product writes, committed together.
    let batcher: GroupCommit<ProductRecord, Void>
    /// Uploads and their jobs, committed together.
    let enqueuer: GroupCommit<Upload, JobRecord>
    let metrics = ServerMetrics()
    /// Signalled when jobs are enqueued, so idle in-process workers start at once.
    let wakeup = DispatchSemaphore(value: 0)
    /// Set when shutdown begins: /ready answers 503 from then on.
    let draining = Atomic<Bool>(false)

    init(configuration: ServerConfiguration, store: SQLiteProductStore, model: EmbeddingModel) {
        self.configuration = configuration
        self.store = store
        jobs = SQLiteJobQueue(store: store)
        var model = model
        model.decoder = ImageDecoder(limits: configuration.limits)
        self.model = model
        pool = WorkPool(threads: configuration.poolThreads)
        admission = Admission(limit: configuration.maxPendingWork)
        uploads = UploadBudget(limit: configuration.maxUploadMemoryBytes)
        search = CatalogSearch(store: store, model: model)
        searchCache = SearchCache(search: search, store: store)
        duplicates = DuplicatesCache(store: store, pool: pool)
        batcher = GroupCommit(limit: 512, pool: pool) { products in
            try store.upsert(products)
            return products.map { _ in () }
        }
        let jobs = self.jobs, attempts = configuration.jobMaxAttempts
        let wakeup = self.wakeup, workers = configuration.workers
        enqueuer = GroupCommit(limit: 64, pool: pool) { uploads in
            let records = try jobs.enqueue(uploads, maxAttempts: attempts)
            for _ in 0..<workers { wakeup.signal() } // idle in-process workers start at once
            return records
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
