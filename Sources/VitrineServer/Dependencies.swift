import Dispatch
import Foundation
import Synchronization
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// What the routes share: configuration, store, jobs, model, caches, metrics.
final class Dependencies: Sendable {
    let configuration: ServerConfiguration
    let store: SQLiteProductStore
    let jobs: SQLiteJobQueue
    let model: EmbeddingModel
    let search: CatalogSearch
    let searchCache: SearchCache
    /// Synchronous product writes, committed together.
    let batcher: GroupCommit<ProductRecord, Void>
    /// Uploads and their jobs, committed together.
    let enqueuer: GroupCommit<Upload, JobRecord>
    let metrics = ServerMetrics()
    let uploadsInFlight = Atomic<Int>(0)
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
        search = CatalogSearch(store: store, model: model)
        searchCache = SearchCache(search: search, store: store)
        batcher = GroupCommit(limit: 512) { products in
            try store.upsert(products)
            return products.map { _ in () }
        }
        let jobs = self.jobs, attempts = configuration.jobMaxAttempts
        let wakeup = self.wakeup, workers = configuration.workers
        enqueuer = GroupCommit(limit: 64) { uploads in
            let records = try jobs.enqueue(uploads, maxAttempts: attempts)
            for _ in 0..<workers { wakeup.signal() } // idle in-process workers start at once
            return records
        }
    }
}
