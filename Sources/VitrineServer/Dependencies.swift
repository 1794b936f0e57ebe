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
    let batcher: WriteBatcher
    let enqueuer: EnqueueBatcher
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
        batcher = WriteBatcher(store: store)
        let wakeup = self.wakeup, workers = configuration.workers
        enqueuer = EnqueueBatcher(jobs: jobs, maxAttempts: configuration.jobMaxAttempts) {
            for _ in 0..<workers { wakeup.signal() }
        }
    }
}
