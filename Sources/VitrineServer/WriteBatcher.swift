import VitrineStore

/// Group commit for the synchronous route: writes arriving together are
/// committed in one transaction, and each request is answered only once its
/// product is durably stored. Under load, one fsync serves dozens of requests.
actor WriteBatcher {
    private let store: any ProductStore
    private var pending: [(ProductRecord, CheckedContinuation<Void, Error>)] = []
    private var draining = false

    init(store: any ProductStore) {
        self.store = store
    }

    /// Returns once `product` is committed (or throws the store's error).
    func write(_ product: ProductRecord) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            pending.append((product, continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending.prefix(512)
            pending.removeFirst(batch.count)
            let records = batch.map(\.0)
            let store = self.store
            do {
                try await Blocking.run { try store.upsert(records) }
                for (_, continuation) in batch { continuation.resume() }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}

/// Group commit for uploads: jobs arriving together are stored in one
/// transaction; each request is answered 202 only once its job is durable.
actor EnqueueBatcher {
    private let jobs: any JobQueue
    private let maxAttempts: Int
    private var pending: [(Upload, CheckedContinuation<JobRecord, Error>)] = []
    private var draining = false
    private let enqueued: @Sendable () -> Void

    init(jobs: any JobQueue, maxAttempts: Int, enqueued: @escaping @Sendable () -> Void = {}) {
        self.jobs = jobs
        self.maxAttempts = maxAttempts
        self.enqueued = enqueued
    }

    /// Returns the stored job once it is committed.
    func enqueue(_ upload: Upload) async throws -> JobRecord {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobRecord, Error>) in
            pending.append((upload, continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending.prefix(64)
            pending.removeFirst(batch.count)
            let uploads = batch.map(\.0)
            let jobs = self.jobs, attempts = maxAttempts
            do {
                let records = try await Blocking.run { try jobs.enqueue(uploads, maxAttempts: attempts) }
                enqueued()
                for ((_, continuation), record) in zip(batch, records) { continuation.resume(returning: record) }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
