import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Processes indexing jobs from a ``JobQueue``: claim a few, decode and embed each
/// upload (through the one ``ProductEmbedder``), write the products (each only if its
/// job is still the newest write of its product) in one transaction, repeat. Blocking
/// work runs on the process's ``WorkPool``; while a batch runs, a child task renews its
/// leases (on the pool, ahead of waiting work). An undecodable image fails the job at
/// once with the decoder's message; other failures retry with backoff.
public final class JobWorker: Sendable {
    /// The queue.
    public let queue: any JobQueue
    /// Builds each record.
    public let embedder: ProductEmbedder
    /// This worker's name in the jobs table.
    public let workerID: String
    /// How long a claim lasts without renewal.
    public let lease: TimeInterval
    /// Jobs claimed and committed together.
    public let batchSize: Int
    /// Where the blocking work runs.
    public let pool: WorkPool
    /// Told of every failure no job records (a lease renewal, the store unreachable between
    /// jobs), with the operation's name; by default written to standard error.
    public let onError: @Sendable (String, any Error) -> Void

    /// The model.
    public var model: EmbeddingModel { embedder.model }

    /// Creates a worker.
    public init(queue: any JobQueue, embedder: ProductEmbedder, workerID: String, lease: TimeInterval = JobWorker.defaultLease,
                batchSize: Int = 8, pool: WorkPool,
                onError: @escaping @Sendable (String, any Error) -> Void = JobWorker.logToStandardError) {
        self.queue = queue
        self.embedder = embedder
        self.workerID = workerID
        self.lease = lease
        self.batchSize = max(1, batchSize)
        self.pool = pool
        self.onError = onError
    }

    /// A worker with the default image pipeline and a small pool of its own (tests, tools).
    public convenience init(queue: any JobQueue, model: EmbeddingModel, workerID: String,
                            lease: TimeInterval = JobWorker.defaultLease, batchSize: Int = 8,
                            onError: @escaping @Sendable (String, any Error) -> Void = JobWorker.logToStandardError) {
        self.init(queue: queue, embedder: ProductEmbedder(model: model), workerID: workerID, lease: lease,
                  batchSize: batchSize, pool: WorkPool(threads: 2, name: "vitrine-worker-\(workerID)"), onError: onError)
    }

    /// The default lease: short, so a dead worker's jobs are taken over within seconds; renewed
    /// five times a lease while a batch runs.
    public static let defaultLease: TimeInterval = 3

    /// Claims and processes a batch of jobs (up to ``batchSize``, committed together); false
    /// when there were none.
    @discardableResult
    public func runOnce() async throws(StoreError) -> Bool {
        let queue = self.queue, workerID = self.workerID, lease = self.lease, limit = batchSize
        let claimed = try await blocking { () throws(StoreError) in try queue.claim(workerID: workerID, lease: lease, limit: limit) }
        guard !claimed.isEmpty else { return false }
        try await whileRenewing(claimed.map(\.claim)) { () async throws(StoreError) in
            try await self.blocking { () throws(StoreError) in try self.process(claimed) }
        }
        return true
    }

    /// Processes jobs until `stop` is set (finishing the batch in hand) or the task is cancelled,
    /// waiting up to `idleWait` (or until `wakeup` is signalled) while the queue is empty.
    public func run(until stop: StopFlag, wakeup: Wakeup? = nil, idleWait: Duration = .milliseconds(50)) async {
        let idle = wakeup ?? Wakeup()
        while !stop.isSet && !Task.isCancelled {
            let worked: Bool
            do { worked = try await runOnce() } catch {
                // The database is busy or unreachable: wait, then try again (a sleep, not the wakeup:
                // signals of uploads arriving meanwhile would turn the wait into a loop of failing claims).
                onError("claim", error)
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            if !worked { await idle.wait(upTo: idleWait) }
        }
    }

    /// Embeds a claimed batch and commits it (blocking: on the pool).
    private func process(_ claimed: [ClaimedJob]) throws(StoreError) {
        var done: [(claim: JobClaim, product: ProductRecord)] = []
        for job in claimed {
            do throws(EmbeddingError) {
                done.append((job.claim, try embedder.record(job.job.fields, image: job.image, imageDigest: job.imageDigest,
                                                            imagePath: nil)))
            } catch {
                // An undecodable image or text without words will not get better: fail at once.
                try queue.fail(job.claim, error: error.description, permanent: true, retryAfter: 0)
            }
        }
        guard !done.isEmpty else { return }
        do throws(StoreError) {
            let outcomes = try queue.complete(done)
            for (item, outcome) in zip(done, outcomes) where outcome == .leaseLost {
                // This worker was stopped or slow past its lease and another claim took the job over:
                // nothing was written; the other claim's result stands.
                onError("complete", LeaseLost(jobID: item.claim.jobID, attempt: item.claim.attempt))
            }
        } catch {
            for item in done {
                try queue.fail(item.claim, error: error.description, permanent: false,
                               retryAfter: Self.backoff(attempt: item.claim.attempt))
            }
        }
    }

    /// Runs `body` while a child task renews `claims` every fifth of a lease.
    private func whileRenewing(_ claims: [JobClaim], _ body: @escaping @Sendable () async throws(StoreError) -> Void) async throws(StoreError) {
        let queue = self.queue, lease = self.lease, onError = self.onError, pool = self.pool
        let outcome: Result<Void, StoreError> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let interval = max(0.05, lease / 5)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    if Task.isCancelled { return }
                    // A missed renewal may let another worker take the job over (it is applied once either way).
                    do { _ = try await pool.run(urgent: true) { try queue.renew(claims, lease: lease) } } catch {
                        onError("lease_renewal", error)
                    }
                }
            }
            let result: Result<Void, StoreError>
            do throws(StoreError) { try await body(); result = .success(()) } catch { result = .failure(error) }
            group.cancelAll()
            return result
        }
        try outcome.get()
    }

    /// Runs blocking store work on the pool, keeping its error type.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
        do { return try await pool.run { try body() } } catch let error as StoreError { throw error } catch {
            throw StoreError(.failed, "\(error)")
        }
    }

    /// A completion that came after the worker's lease had been taken over: reported, not written.
    public struct LeaseLost: Error, CustomStringConvertible {
        /// The job.
        public var jobID: String
        /// The attempt whose result was discarded.
        public var attempt: Int
        /// One sentence for the log.
        public var description: String {
            "job \(jobID): its lease (attempt \(attempt)) expired before it finished and another claim took it over; this result was discarded"
        }
    }

    /// The default of ``onError``: one line on standard error.
    public static let logToStandardError: @Sendable (String, any Error) -> Void = { operation, error in
        FileHandle.standardError.write(Data("worker: \(operation) failed: \(error)\n".utf8))
    }

    /// Exponential backoff for transient failures: 0.5 s, 1 s, 2 s … at most 30 s.
    public static func backoff(attempt: Int) -> TimeInterval {
        min(30, 0.5 * pow(2, Double(max(0, attempt - 1))))
    }
}
