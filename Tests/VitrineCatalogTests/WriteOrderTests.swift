import Foundation
import GRDB
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// Newest write wins for every kind of write: upserts, jobs and deletes (tombstones), in every order.
@Suite("Write order and tombstones")
struct WriteOrderTests {
    static let photo = JobQueueTests.photo
    static let other = try! Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/p09.jpg"))

    static func worker(_ queue: SQLiteJobQueue, _ id: String = "w1") -> JobWorker {
        JobWorker(queue: queue, model: TestCatalog.model, workerID: id)
    }

    @Test("enqueue, delete while the first upload is still queued, then the job finishes: the delete wins")
    func enqueueDeleteFinish() async throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let job = try JobQueueTests.enqueue(queue, "p1")
        #expect(try store.product(id: "p1") == nil, "nothing stored yet")
        #expect(try store.delete(id: "p1"), "a pending job is something to delete")
        #expect(try store.tombstone(productID: "p1") != nil)
        try await Self.worker(queue).runOnce()
        let done = try #require(try queue.job(id: job.id))
        #expect(done.status == .succeeded && done.error?.contains("deleted") == true, "\(String(describing: done.error))")
        #expect(try store.product(id: "p1") == nil, "the older job does not bring it back")
        #expect(try !store.delete(id: "p1"), "nothing left to delete")
    }

    @Test("delete while an older job is being processed: its completion writes nothing")
    func deleteThenOlderJob() throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert([TestCatalog.record("p2")])
        _ = try JobQueueTests.enqueue(queue, "p2", name: "Par job")
        let claimed = try #require(try queue.claim(workerID: "slow", lease: 30))
        #expect(try store.delete(id: "p2"))
        #expect(try queue.complete(claimed.claim, product: TestCatalog.record("p2", name: "Par job")) == .superseded)
        #expect(try store.product(id: "p2") == nil)
        // A plain upsert is always the newest write: it creates the product again and clears the tombstone.
        try store.upsert([TestCatalog.record("p2", name: "Recréé")])
        #expect(try store.product(id: "p2")?.name == "Recréé")
        #expect(try store.tombstone(productID: "p2") == nil)
    }

    @Test("delete, then a newer synchronous write and a newer job: both apply, in order")
    func deleteThenNewerWrites() async throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert([TestCatalog.record("p3", name: "Avant")])
        #expect(try store.delete(id: "p3"))
        try store.upsert([TestCatalog.record("p3", name: "Synchrone")])
        #expect(try store.product(id: "p3")?.name == "Synchrone")
        #expect(try store.delete(id: "p3"))
        let job = try JobQueueTests.enqueue(queue, "p3", name: "Après la suppression")
        try await Self.worker(queue).runOnce()
        #expect(try queue.job(id: job.id)?.error == nil)
        #expect(try store.product(id: "p3")?.name == "Après la suppression")
        #expect(try store.tombstone(productID: "p3") == nil)
    }

    @Test("two jobs of one product finishing out of order: the newer one stands")
    func jobsOutOfOrder() throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let older = try JobQueueTests.enqueue(queue, "p4", name: "Premier", image: Self.photo)
        let newer = try JobQueueTests.enqueue(queue, "p4", name: "Second", image: Self.other)
        let a = try #require(try queue.claim(workerID: "a", lease: 30)), b = try #require(try queue.claim(workerID: "b", lease: 30))
        #expect(a.job.id == older.id && b.job.id == newer.id)
        let embedder = ProductEmbedder(model: TestCatalog.model)
        let first = try embedder.record(ProductFields(productID: "p4", name: "Premier"), image: a.image, imageDigest: a.imageDigest, imagePath: nil)
        let second = try embedder.record(ProductFields(productID: "p4", name: "Second"), image: b.image, imageDigest: b.imageDigest, imagePath: nil)
        #expect(try queue.complete(b.claim, product: second) == .applied)
        #expect(try queue.complete(a.claim, product: first) == .superseded)
        let stored = try #require(try store.product(id: "p4"))
        #expect(stored.name == "Second" && stored.image == second.image && stored.imageDigest == Digest.sha256(Self.other))
        #expect(try queue.job(id: older.id)?.status == .succeeded && queue.job(id: older.id)?.error?.contains("newer") == true)
    }

    @Test("a tombstone outlives every older pending job; purged after the retention period once none is left")
    func tombstonePurge() async throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try JobQueueTests.enqueue(queue, "p5")
        let deletedAt = Date()
        #expect(try store.delete(id: "p5"))
        let later = Date().addingTimeInterval(3600)
        #expect(try queue.purge(finishedBefore: later).tombstones == 0, "an older job is still queued")
        #expect(try store.tombstone(productID: "p5") != nil)
        try await Self.worker(queue).runOnce()
        // A cutoff before the delete (the retention not yet over), however long the worker took.
        #expect(try queue.purge(finishedBefore: deletedAt.addingTimeInterval(-60)).tombstones == 0, "not yet past the retention")
        let purged = try queue.purge(finishedBefore: later)
        #expect(purged.jobs == 1 && purged.tombstones == 1)
        #expect(try store.tombstone(productID: "p5") == nil)
    }

    @Test("an uploaded image is kept once per digest, through the job's purge, until the last product using it goes")
    func originalsKept() async throws {
        let (store, queue, folder) = try JobQueueTests.queue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let digest = Digest.sha256(Self.photo)
        _ = try JobQueueTests.enqueue(queue, "o1")
        _ = try JobQueueTests.enqueue(queue, "o2")
        let worker = Self.worker(queue)
        while try await worker.runOnce() {}
        let rows = try await DatabaseQueue(path: store.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM original") }
        #expect(rows == 1, "stored once for two products")
        #expect(try queue.purge(finishedBefore: Date().addingTimeInterval(3600)).jobs == 2)
        #expect(try store.originalImage(digest: digest) == Self.photo, "kept after the jobs are purged")
        #expect(try store.delete(id: "o1"))
        #expect(try store.originalImage(digest: digest) != nil, "o2 still uses it")
        // A product re-indexed with another image no longer uses the first.
        _ = try JobQueueTests.enqueue(queue, "o2", image: Self.other)
        while try await worker.runOnce() {}
        #expect(try store.originalImage(digest: digest) == nil, "gone with the last product that used it")
        #expect(try store.originalImage(digest: Digest.sha256(Self.other)) != nil)
    }
}
