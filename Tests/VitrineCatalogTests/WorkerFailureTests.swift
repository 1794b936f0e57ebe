import Foundation
import Synchronization
import Testing
import VitrineCatalog
import VitrineStore
import VitrineTestSupport

/// A queue whose lease renewals fail and whose commits are slow: the real SQLite queue otherwise.
final class RenewalFailingQueue: JobQueue {
    let inner: SQLiteJobQueue
    init(_ inner: SQLiteJobQueue) { self.inner = inner }
    func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord] { try inner.enqueue(uploads, maxAttempts: maxAttempts) }
    func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob] {
        try inner.claim(workerID: workerID, lease: lease, limit: limit)
    }
    func renew(_ claims: [JobClaim], lease: TimeInterval) throws(StoreError) -> [Bool] {
        throw StoreError(.failed, "the database is locked (a test)")
    }
    /// Signalled by the test when a renewal failure has been reported.
    let reported = DispatchSemaphore(value: 0)
    func complete(_ results: [(claim: JobClaim, product: ProductRecord)]) throws(StoreError) -> [JobCompletion] {
        // Held until a renewal has been due and failed. The renewal is a child task of the worker: in this
        // test process, Swift's two cooperative threads can be held for a minute by other tests' blocking
        // waits, so the bound is generous (the test takes about a second when they are free).
        _ = reported.wait(timeout: .now() + 150)
        return try inner.complete(results)
    }
    func fail(_ claim: JobClaim, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError) {
        try inner.fail(claim, error: error, permanent: permanent, retryAfter: retryAfter)
    }
    func release(_ claims: [JobClaim]) throws(StoreError) { try inner.release(claims) }
    func reclaim(workerID: String) throws(StoreError) -> Int { try inner.reclaim(workerID: workerID) }
    func job(id: String) throws(StoreError) -> JobRecord? { try inner.job(id: id) }
    func counts() throws(StoreError) -> [JobStatus: Int] { try inner.counts() }
    func recentFailures(limit: Int) throws(StoreError) -> [JobRecord] { try inner.recentFailures(limit: limit) }
    func purge(finishedBefore cutoff: Date) throws(StoreError) -> PurgeResult { try inner.purge(finishedBefore: cutoff) }
}

@Suite("Worker failures are reported")
struct WorkerFailureTests {
    @Test("a failed lease renewal is told to onError (the server logs and counts it), not swallowed")
    func renewalFailure() async throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = store
        _ = try JobQueueTests.enqueue(queue, "r1")
        let reported = Mutex<[String]>([])
        let failing = RenewalFailingQueue(queue)
        let worker = JobWorker(queue: failing, model: TestCatalog.model, workerID: "w", lease: 0.3,
                               onError: { operation, error in
                                   reported.withLock { $0.append("\(operation): \(error)") }
                                   failing.reported.signal()
                               })
        #expect(try await worker.runOnce())
        let seen = reported.withLock { $0 }
        #expect(seen.contains { $0.hasPrefix("lease_renewal:") && $0.contains("locked") }, "\(seen)")
        #expect(try queue.counts()[.succeeded] == 1, "the job itself still finished")
    }
}
