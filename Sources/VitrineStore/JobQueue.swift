import Foundation

/// The state of a job.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    /// Waiting for a worker (or for its retry time).
    case queued
    /// Claimed by a worker whose lease has not expired.
    case processing
    /// Done: the product was written, or a newer write already covered it.
    case succeeded
    /// Given up: a permanent error, or too many attempts.
    case failed
}

/// A request to index a product with an uploaded image.
public struct IndexRequest: Sendable, Equatable {
    /// The product's id.
    public var productID: String
    /// Its name.
    public var name: String
    /// Its description.
    public var description: String
    /// Its metadata, as given.
    public var metadata: String

    /// Creates a request.
    public init(productID: String, name: String, description: String = "", metadata: String = "") {
        self.productID = productID
        self.name = name
        self.description = description
        self.metadata = metadata
    }
}

/// One upload to enqueue.
public struct Upload: Sendable {
    /// What to index.
    public var request: IndexRequest
    /// The image's bytes.
    public var image: Data
    /// Their SHA-256.
    public var imageDigest: String

    /// Creates an upload.
    public init(request: IndexRequest, image: Data, imageDigest: String) {
        self.request = request
        self.image = image
        self.imageDigest = imageDigest
    }
}

/// A job as stored.
public struct JobRecord: Sendable, Equatable {
    /// The job's id (a UUID).
    public var id: String
    /// Its place in the write order (newer writes have larger numbers).
    public var sequence: Int64
    /// What to index.
    public var request: IndexRequest
    /// Where it stands.
    public var status: JobStatus
    /// Claims so far (a worker that died still used one).
    public var attempts: Int
    /// The last error, if any.
    public var error: String?
    /// The worker holding or last holding it.
    public var workerID: String?
    /// When it was enqueued.
    public var createdAt: Date
    /// When it succeeded or failed.
    public var finishedAt: Date?
}

/// A claimed job with its upload, ready to process.
public struct ClaimedJob: Sendable {
    /// The job.
    public var job: JobRecord
    /// The uploaded image's bytes.
    public var image: Data
    /// SHA-256 of those bytes.
    public var imageDigest: String
}

/// What completing a job did.
public enum JobCompletion: Sendable, Equatable {
    /// The product was written.
    case applied
    /// A newer write of the same product already exists: nothing written, the job still succeeded.
    case superseded
    /// The lease was lost (expired and taken by another worker): nothing written.
    case leaseLost
}

/// Durable jobs for indexing uploads, shared by any number of worker
/// processes. Claims carry a lease the worker renews; a job whose lease
/// expires (its worker died) goes to the next worker. Execution is at least
/// once; the effect is idempotent because a job applies only if it is still
/// the newest write of its product.
public protocol JobQueue: Sendable {
    /// Stores the upload and the job in one transaction.
    func enqueue(_ request: IndexRequest, image: Data, imageDigest: String, maxAttempts: Int) throws(StoreError) -> JobRecord

    /// Stores several uploads and their jobs in one transaction (all or none).
    func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord]

    /// Claims the oldest runnable job (queued and due, or processing with an expired lease).
    func claim(workerID: String, lease: TimeInterval) throws(StoreError) -> ClaimedJob?

    /// Claims up to `limit` runnable jobs at once, oldest first (one transaction).
    func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob]

    /// Extends a lease; false when the worker no longer holds the job.
    func renew(jobID: String, workerID: String, lease: TimeInterval) throws(StoreError) -> Bool

    /// Writes the product (if the job is still the newest write) and marks the job succeeded, atomically.
    func complete(jobID: String, workerID: String, product: ProductRecord) throws(StoreError) -> JobCompletion

    /// Completes several jobs in one transaction (each as ``complete(jobID:workerID:product:)`` would).
    func complete(_ results: [(jobID: String, product: ProductRecord)], workerID: String) throws(StoreError) -> [JobCompletion]

    /// Records a failure: permanent ones end the job, others retry after `retryAfter` until attempts run out.
    func fail(jobID: String, workerID: String, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError)

    /// Gives a job back unfinished (a worker shutting down), without counting the attempt.
    func release(jobID: String, workerID: String) throws(StoreError)

    /// One job.
    func job(id: String) throws(StoreError) -> JobRecord?

    /// Jobs per status.
    func counts() throws(StoreError) -> [JobStatus: Int]

    /// The latest jobs that failed for good, newest first.
    func recentFailures(limit: Int) throws(StoreError) -> [JobRecord]

    /// Deletes finished jobs (and their uploads) that finished before `cutoff`; returns how many.
    func purge(finishedBefore cutoff: Date) throws(StoreError) -> Int
}
