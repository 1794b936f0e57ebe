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

/// One upload to enqueue.
public struct Upload: Sendable {
    /// The product's fields.
    public var fields: ProductFields
    /// The image's bytes.
    public var image: Data
    /// Their SHA-256.
    public var imageDigest: String

    /// Creates an upload.
    public init(fields: ProductFields, image: Data, imageDigest: String) {
        self.fields = fields
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
    /// The product's fields.
    public var fields: ProductFields
    /// Where it stands.
    public var status: JobStatus
    /// Claims so far (a worker that died still used one).
    public var attempts: Int
    /// The last error, or why a succeeded job wrote nothing (superseded).
    public var error: String?
    /// The worker holding or last holding it.
    public var workerID: String?
    /// When it was enqueued.
    public var createdAt: Date
    /// When it was last claimed.
    public var claimedAt: Date?
    /// When it succeeded or failed.
    public var finishedAt: Date?

    /// Creates a record (a queue implementation builds them from its rows).
    public init(id: String, sequence: Int64, fields: ProductFields, status: JobStatus, attempts: Int, error: String? = nil,
                workerID: String? = nil, createdAt: Date, claimedAt: Date? = nil, finishedAt: Date? = nil) {
        self.id = id
        self.sequence = sequence
        self.fields = fields
        self.status = status
        self.attempts = attempts
        self.error = error
        self.workerID = workerID
        self.createdAt = createdAt
        self.claimedAt = claimedAt
        self.finishedAt = finishedAt
    }
}

/// One claim on a job: the worker and the attempt it holds. Every call on a
/// claimed job names its claim, and does nothing once the claim is stale (its
/// lease expired and another claim — even by a worker of the same name — took over).
public struct JobClaim: Sendable, Hashable {
    /// The job.
    public var jobID: String
    /// The worker holding it.
    public var workerID: String
    /// The attempt this claim is (1 for the first).
    public var attempt: Int

    /// Creates a claim.
    public init(jobID: String, workerID: String, attempt: Int) {
        self.jobID = jobID
        self.workerID = workerID
        self.attempt = attempt
    }
}

/// A claimed job with its upload, ready to process.
public struct ClaimedJob: Sendable {
    /// The job.
    public var job: JobRecord
    /// The uploaded image's bytes.
    public var image: Data
    /// SHA-256 of those bytes.
    public var imageDigest: String

    /// Creates a claimed job.
    public init(job: JobRecord, image: Data, imageDigest: String) {
        self.job = job
        self.image = image
        self.imageDigest = imageDigest
    }

    /// The claim to complete, fail, renew or release it with.
    public var claim: JobClaim {
        JobClaim(jobID: job.id, workerID: job.workerID ?? "", attempt: job.attempts)
    }
}

/// What completing a job did.
public enum JobCompletion: Sendable, Equatable {
    /// The product was written.
    case applied
    /// A newer write of the same product (an upsert, a later job, or a delete) already exists:
    /// nothing written, the job still succeeded.
    case superseded
    /// The claim was stale (its lease expired and another claim took over): nothing written.
    case leaseLost
}

/// What a retention purge removed.
public struct PurgeResult: Sendable, Equatable {
    /// Finished jobs.
    public var jobs = 0
    /// Tombstones no pending job is older than.
    public var tombstones = 0

    /// Creates a result.
    public init(jobs: Int = 0, tombstones: Int = 0) {
        self.jobs = jobs
        self.tombstones = tombstones
    }
}

/// Durable jobs for indexing uploads, shared by any number of worker
/// processes. Claims carry a lease the worker renews; a job whose lease
/// expires (its worker died) goes to the next worker. Execution is at least
/// once; the effect is idempotent because a job applies only if it is still
/// the newest write of its product (newer than its stored write and its tombstone).
public protocol JobQueue: Sendable {
    /// Stores several uploads (their images kept once per digest) and their jobs in one transaction (all or none).
    func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord]

    /// Claims up to `limit` runnable jobs at once, oldest first (one transaction): expired leases
    /// (their worker died), then queued jobs that are due.
    func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob]

    /// Extends the leases of several claims in one transaction; false for each claim no longer held.
    func renew(_ claims: [JobClaim], lease: TimeInterval) throws(StoreError) -> [Bool]

    /// Completes several jobs in one transaction: each writes its product if its claim still holds
    /// and the job is still the newest write of its product, and is marked succeeded.
    func complete(_ results: [(claim: JobClaim, product: ProductRecord)]) throws(StoreError) -> [JobCompletion]

    /// Records a failure: permanent ones end the job, others retry after `retryAfter` until attempts run out.
    func fail(_ claim: JobClaim, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError)

    /// Gives jobs back unfinished (a worker shutting down), without counting the attempt.
    func release(_ claims: [JobClaim]) throws(StoreError)

    /// Expires at once the leases held under `workerID`: a worker calls it as it starts, since the
    /// previous process of that name (killed) can no longer finish them; the next claim takes them
    /// (their attempt stays counted). Returns how many.
    func reclaim(workerID: String) throws(StoreError) -> Int

    /// One job.
    func job(id: String) throws(StoreError) -> JobRecord?

    /// Jobs per status.
    func counts() throws(StoreError) -> [JobStatus: Int]

    /// The latest jobs that failed for good, newest first.
    func recentFailures(limit: Int) throws(StoreError) -> [JobRecord]

    /// Deletes jobs that finished before `cutoff` (an original image goes with the last job or
    /// product using it) and the tombstones older than `cutoff` that no pending job is older than
    /// (a change-feed reader that had not seen those deletions starts over).
    func purge(finishedBefore cutoff: Date) throws(StoreError) -> PurgeResult
}

extension JobQueue {
    /// Stores one upload and its job.
    public func enqueue(_ fields: ProductFields, image: Data, imageDigest: String, maxAttempts: Int) throws(StoreError) -> JobRecord {
        try enqueue([Upload(fields: fields, image: image, imageDigest: imageDigest)], maxAttempts: maxAttempts)[0]
    }

    /// Claims the oldest runnable job.
    public func claim(workerID: String, lease: TimeInterval) throws(StoreError) -> ClaimedJob? {
        try claim(workerID: workerID, lease: lease, limit: 1).first
    }

    /// Extends one lease; false when the claim is no longer held.
    public func renew(_ claim: JobClaim, lease: TimeInterval) throws(StoreError) -> Bool {
        try renew([claim], lease: lease)[0]
    }

    /// Completes one job.
    public func complete(_ claim: JobClaim, product: ProductRecord) throws(StoreError) -> JobCompletion {
        try complete([(claim, product)])[0]
    }

    /// Gives one job back unfinished.
    public func release(_ claim: JobClaim) throws(StoreError) {
        try release([claim])
    }
}
