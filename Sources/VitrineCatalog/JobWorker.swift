import Dispatch
import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Processes indexing jobs from a ``JobQueue``: claim a few, decode and
/// embed each upload, write the products (each only if its job is still the
/// newest write of its product) in one transaction, repeat.
/// The lease is renewed while a job runs; an undecodable image fails the job
/// at once with the decoder's message; other failures retry with backoff.
public final class JobWorker: Sendable {
    /// The queue.
    public let queue: any JobQueue
    /// The model.
    public let model: EmbeddingModel
    /// This worker's name in the jobs table.
    public let workerID: String
    /// How long a claim lasts without renewal.
    public let lease: TimeInterval
    /// How long to sleep when the queue is empty.
    public let idleWait: TimeInterval
    /// Jobs claimed and committed together.
    public let batchSize: Int
    /// Waits while the queue is empty, at most the given seconds (a sleep by
    /// default; in-process workers are woken early when jobs are enqueued).
    public let idle: @Sendable (TimeInterval) -> Void
    /// Told of every failure no job records (a lease renewal, the store unreachable between
    /// jobs), with the operation's name; by default written to standard error.
    public let onError: @Sendable (String, any Error) -> Void

    /// Creates a worker.
    public init(queue: any JobQueue, model: EmbeddingModel, workerID: String, lease: TimeInterval = JobWorker.defaultLease,
                idleWait: TimeInterval = 0.01, batchSize: Int = 8,
                idle: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) },
                onError: @escaping @Sendable (String, any Error) -> Void = JobWorker.logToStandardError) {
        self.onError = onError
        self.queue = queue
        self.model = model
        self.workerID = workerID
        self.lease = lease
        self.idleWait = idleWait
        self.batchSize = max(1, batchSize)
        self.idle = idle
    }

    /// Claims and processes a batch of jobs (up to ``batchSize``, committed
    /// together); false when there were none.
    @discardableResult
    public func runOnce() throws(StoreError) -> Bool {
        let claimed = try queue.claim(workerID: workerID, lease: lease, limit: batchSize)
        guard !claimed.isEmpty else { return false }
        let renewal = startRenewing(claimed.map(\.claim))
        defer { renewal.cancel() }
        var done: [(claim: JobClaim, product: ProductRecord)] = []
        for job in claimed {
            switch embed(job) {
            case .success(let record):
                done.append((job.claim, record))
            case .failure(let failure):
                // An undecodable image or text without words will not get better: fail at once.
                try queue.fail(job.claim, error: failure.description, permanent: true, retryAfter: 0)
            }
        }
        guard !done.isEmpty else { return true }
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
        return true
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

    /// The default lease: short, so a dead worker's jobs are taken over within seconds; renewed
    /// five times a lease while a batch runs.
    public static let defaultLease: TimeInterval = 3

    /// Decodes and embeds a claimed job's product.
    private func embed(_ claimed: ClaimedJob) -> Result<ProductRecord, EmbeddingError> {
        let request = claimed.job.request
        let fields = ProductFields(productID: request.productID, name: request.name, description: request.description,
                                   metadata: request.metadata)
        return Result { () throws(EmbeddingError) -> ProductRecord in
            try ProductEmbedder(model: model).record(fields, image: claimed.image, imageDigest: claimed.imageDigest, imagePath: nil)
        }
    }

    /// Processes jobs until `stop` is set (finishing the job in hand), sleeping while the queue is empty.
    public func run(until stop: StopFlag) {
        while !stop.isSet {
            let worked: Bool
            do { worked = try runOnce() } catch {
                // The database is busy or unreachable: wait, then try again.
                onError("claim", error)
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if !worked { idle(idleWait) }
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

    private func startRenewing(_ claims: [JobClaim]) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let interval = max(0.05, lease / 5)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let queue = self.queue, lease = self.lease, onError = self.onError
        timer.setEventHandler {
            // A missed renewal may let another worker take the job over (it is applied once either way).
            do { _ = try queue.renew(claims, lease: lease) } catch { onError("lease_renewal", error) }
        }
        timer.resume()
        return timer
    }
}
