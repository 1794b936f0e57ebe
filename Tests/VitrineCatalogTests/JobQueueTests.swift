import Foundation
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// The durable job queue and the worker, on temporary databases.
@Suite("Jobs")
struct JobQueueTests {
    static let photo = try! Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/p05.jpg"))
    static let broken = try! Data(contentsOf: Repository.images.appendingPathComponent("bad/truncated-50.jpg"))

    static func queue() throws -> (SQLiteProductStore, SQLiteJobQueue, URL) {
        let (store, folder) = try TestCatalog.store()
        return (store, SQLiteJobQueue(store: store), folder)
    }

    static func enqueue(_ queue: SQLiteJobQueue, _ id: String, name: String = "Mug", image: Data = photo, attempts: Int = 3) throws -> JobRecord {
        try queue.enqueue(ProductFields(productID: id, name: name), image: image, imageDigest: Digest.sha256(image), maxAttempts: attempts)
    }

    @Test("enqueue, claim in order, process, succeed; the product is written with its image")
    func lifecycle() async throws {
        let (store, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.enqueue(queue, "m1"), second = try Self.enqueue(queue, "m2")
        #expect(first.status == .queued && second.sequence > first.sequence)
        #expect(try queue.counts()[.queued] == 2)
        let worker = JobWorker(queue: queue, model: TestCatalog.model, workerID: "w1", batchSize: 1)
        #expect(try await worker.runOnce())
        #expect(try queue.job(id: first.id)?.status == .succeeded, "the oldest job goes first")
        #expect(try queue.job(id: second.id)?.status == .queued)
        #expect(try await worker.runOnce())
        #expect(try await worker.runOnce() == false, "nothing left")
        let done = try #require(try queue.job(id: second.id))
        #expect(done.status == .succeeded && done.attempts == 1 && done.workerID == "w1" && done.finishedAt != nil)
        let product = try #require(try store.product(id: "m1"))
        #expect(product.image != nil && product.imageWidth == 320 && product.imageDigest == Digest.sha256(Self.photo))
    }

    @Test("an undecodable upload fails at once with the decoder's message")
    func permanentFailure() async throws {
        let (store, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try Self.enqueue(queue, "bad", image: Self.broken)
        try await JobWorker(queue: queue, model: TestCatalog.model, workerID: "w1").runOnce()
        let failed = try #require(try queue.job(id: job.id))
        #expect(failed.status == .failed && failed.attempts == 1)
        #expect(failed.error?.contains("truncated") == true)
        #expect(try store.product(id: "bad") == nil)
    }

    @Test("a worker that renews its lease keeps its job past the first lease; a worker that lost it cannot renew")
    func leaseRenewal() throws {
        let (_, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try Self.enqueue(queue, "r1", attempts: 3)
        let claim = try #require(try queue.claim(workerID: "busy", lease: 0.3)).claim
        #expect(claim.jobID == job.id && claim.attempt == 1)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.15)
            #expect(try queue.renew(claim, lease: 0.3))
        }
        // 0.45 s after the claim: past the first lease, still held.
        #expect(try queue.claim(workerID: "other", lease: 10) == nil, "a renewed lease keeps the job")
        #expect(try !queue.renew(JobClaim(jobID: job.id, workerID: "other", attempt: 1), lease: 10), "only the holder renews")
        #expect(try queue.complete(claim, product: TestCatalog.record("r1")) == .applied)
    }

    @Test("a job whose worker died is taken by another once its lease expires; too many deaths fail it")
    func leaseExpiry() throws {
        let (_, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try Self.enqueue(queue, "m1", attempts: 2)
        let dead = try #require(try queue.claim(workerID: "dead", lease: 0.2))
        #expect(dead.job.id == job.id)
        #expect(try queue.claim(workerID: "w2", lease: 10) == nil, "leased: nobody else may take it")
        Thread.sleep(forTimeInterval: 0.3)
        let taken = try #require(try queue.claim(workerID: "w2", lease: 0.2))
        #expect(taken.job.id == job.id && taken.job.attempts == 2)
        // The dead worker comes back: it lost the lease and must not write.
        #expect(try queue.complete(dead.claim, product: TestCatalog.record("m1")) == .leaseLost)
        #expect(taken.claim.attempt == 2 && taken.job.claimedAt != nil)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try queue.claim(workerID: "w3", lease: 10) == nil, "two attempts used: it fails instead")
        let failed = try #require(try queue.job(id: job.id))
        #expect(failed.status == .failed && failed.error?.contains("stopped") == true)
    }

    @Test("a worker starting again under its id takes back at once what its killed predecessor held")
    func reclaimOnRestart() throws {
        let (_, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Self.enqueue(queue, "m1")
        let dead = try #require(try queue.claim(workerID: "w1", lease: 60))
        #expect(try queue.claim(workerID: "w2", lease: 60) == nil, "leased for a minute")
        #expect(try queue.reclaim(workerID: "w1") == 1)
        let again = try #require(try queue.claim(workerID: "w1", lease: 60))
        #expect(again.job.id == dead.job.id && again.claim.attempt == 2, "the attempt of the killed process stays counted")
        #expect(try queue.complete(dead.claim, product: TestCatalog.record("m1")) == .leaseLost, "same name, stale claim")
        #expect(try queue.complete(again.claim, product: TestCatalog.record("m1")) == .applied)
    }

    @Test("transient failures retry after a backoff, up to the attempt limit")
    func retries() throws {
        let (_, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try Self.enqueue(queue, "m1", attempts: 2)
        let first = try #require(try queue.claim(workerID: "w1", lease: 10)).claim
        try queue.fail(first, error: "database busy", permanent: false, retryAfter: 0.2)
        #expect(try queue.job(id: job.id)?.status == .queued)
        #expect(try queue.claim(workerID: "w1", lease: 10) == nil, "not before its retry time")
        Thread.sleep(forTimeInterval: 0.25)
        let second = try #require(try queue.claim(workerID: "w1", lease: 10)).claim
        try queue.fail(first, error: "a stale claim", permanent: true, retryAfter: 0)
        #expect(try queue.job(id: job.id)?.status == .processing, "a stale claim cannot fail the job")
        try queue.fail(second, error: "database busy", permanent: false, retryAfter: 0)
        #expect(try queue.job(id: job.id)?.status == .failed)
        #expect(JobWorker.backoff(attempt: 1) == 0.5 && JobWorker.backoff(attempt: 3) == 2 && JobWorker.backoff(attempt: 20) == 30)
    }

    @Test("a job applies only if it is still the newest write of its product")
    func newestWins() async throws {
        let (store, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let old = try Self.enqueue(queue, "m1", name: "Ancien")
        let new = try Self.enqueue(queue, "m1", name: "Nouveau")
        let worker = JobWorker(queue: queue, model: TestCatalog.model, workerID: "w1")
        // The newer job runs first (the older one's worker was slow).
        let claimedOld = try #require(try queue.claim(workerID: "slow", lease: 30))
        #expect(claimedOld.job.id == old.id)
        try await worker.runOnce()
        #expect(try store.product(id: "m1")?.name == "Nouveau")
        #expect(try queue.complete(claimedOld.claim, product: TestCatalog.record("m1", name: "Ancien")) == .superseded)
        #expect(try store.product(id: "m1")?.name == "Nouveau")
        #expect(try queue.job(id: old.id)?.status == .succeeded)
        // A direct write after a queued job also wins over it.
        let queued = try Self.enqueue(queue, "m2", name: "Par job")
        try store.upsert([TestCatalog.record("m2", name: "Écrit directement")])
        try await worker.runOnce()
        #expect(try queue.job(id: queued.id)?.status == .succeeded)
        #expect(try store.product(id: "m2")?.name == "Écrit directement")
        _ = new
    }

    @Test("a batch claims several jobs in order and commits them together")
    func batch() async throws {
        let (store, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ids = try (0..<5).map { try Self.enqueue(queue, "b\($0)").id }
        let bad = try Self.enqueue(queue, "bad", image: Self.broken).id
        let claimed = try queue.claim(workerID: "w1", lease: 30, limit: 4)
        #expect(claimed.map(\.job.id) == Array(ids.prefix(4)))
        try queue.release(claimed.map(\.claim))
        try await JobWorker(queue: queue, model: TestCatalog.model, workerID: "w1", batchSize: 8).runOnce()
        #expect(try store.count() == 5)
        #expect(try queue.job(id: bad)?.status == .failed, "one bad upload fails alone; the batch still commits")
    }

    @Test("release gives a job back; purge removes finished jobs and their uploads")
    func releaseAndPurge() async throws {
        let (store, queue, folder) = try Self.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try Self.enqueue(queue, "m1")
        let claim = try #require(try queue.claim(workerID: "w1", lease: 30)).claim
        try queue.release(claim)
        #expect(try queue.job(id: job.id)?.status == .queued && queue.job(id: job.id)?.attempts == 0)
        try await JobWorker(queue: queue, model: TestCatalog.model, workerID: "w1").runOnce()
        #expect(try queue.purge(finishedBefore: Date().addingTimeInterval(-60)).jobs == 0, "too recent")
        #expect(try queue.purge(finishedBefore: Date().addingTimeInterval(1)).jobs == 1)
        #expect(try queue.job(id: job.id) == nil)
        #expect(try store.product(id: "m1") != nil, "purging jobs never touches products")
    }
}
