import Foundation
import Testing
import VitrineStore

/// The ``JobQueue`` contract: durable jobs, fenced claims, the newest write wins.
@Suite("Contract: job queue")
struct JobQueueContractTests {
    @Test("enqueue, claim oldest first, renew, complete: the product is written; counts follow", arguments: Backend.all)
    func lifecycle(_ backend: Backend) async throws {
        try await backend.with { instance in
            let jobs = instance.storage.jobs
            let queued = try jobs.enqueue([Sample.upload("a"), Sample.upload("b")], maxAttempts: 3)
            #expect(queued.count == 2 && queued[0].sequence < queued[1].sequence && queued.allSatisfy { $0.status == .queued })
            #expect(try jobs.counts()[.queued] == 2)
            let claimed = try jobs.claim(workerID: "w", lease: 30, limit: 1)
            #expect(claimed.map(\.job.fields.productID) == ["a"] && claimed[0].image == Sample.image)
            #expect(try jobs.renew([claimed[0].claim], lease: 30) == [true])
            #expect(try jobs.complete(claimed[0].claim, product: Sample.record("a")) == .applied)
            #expect(try instance.storage.products.product(id: "a") != nil)
            let done = try #require(try jobs.job(id: queued[0].id))
            #expect(done.status == .succeeded && done.attempts == 1 && done.workerID == "w" && done.finishedAt != nil)
            #expect(try jobs.counts()[.succeeded] == 1 && jobs.counts()[.queued] == 1)
        }
    }

    @Test("claims are fenced: once a lease expired and another claim took the job, the stale one changes nothing",
          arguments: Backend.all)
    func fencing(_ backend: Backend) async throws {
        try await backend.with { instance in
            let jobs = instance.storage.jobs
            _ = try jobs.enqueue([Sample.upload("a")], maxAttempts: 5)
            let stale = try #require(try jobs.claim(workerID: "w1", lease: 0.05))
            try await Task.sleep(for: .milliseconds(120))
            let fresh = try #require(try jobs.claim(workerID: "w1", lease: 30), "an expired lease is claimed again")
            #expect(fresh.claim.attempt == stale.claim.attempt + 1)
            #expect(try jobs.renew([stale.claim], lease: 30) == [false])
            try jobs.fail(stale.claim, error: "late", permanent: true, retryAfter: 0)
            #expect(try jobs.complete(stale.claim, product: Sample.record("a", name: "Stale")) == .leaseLost)
            #expect(try instance.storage.products.product(id: "a") == nil, "the stale claim wrote nothing")
            #expect(try jobs.complete(fresh.claim, product: Sample.record("a", name: "Fresh")) == .applied)
            #expect(try instance.storage.products.product(id: "a")?.name == "Fresh")
        }
    }

    @Test("the newest write wins: a job older than a sync write or a delete is superseded, and says why", arguments: Backend.all)
    func newestWins(_ backend: Backend) async throws {
        try await backend.with { instance in
            let storage = instance.storage
            let older = try storage.jobs.enqueue([Sample.upload("a"), Sample.upload("b")], maxAttempts: 3)
            try storage.products.upsert([Sample.record("a", name: "Sync")])
            #expect(try storage.products.delete(id: "b"), "a pending job is something to delete")
            let claimed = try storage.jobs.claim(workerID: "w", lease: 30, limit: 2)
            #expect(try storage.jobs.complete(claimed.map { ($0.claim, Sample.record($0.job.fields.productID, name: "Job")) })
                    == [.superseded, .superseded])
            #expect(try storage.products.product(id: "a")?.name == "Sync" && storage.products.product(id: "b") == nil)
            #expect(try storage.jobs.job(id: older[1].id)?.error?.contains("deleted") == true)
            // A job enqueued after the delete recreates the product.
            _ = try storage.jobs.enqueue([Sample.upload("b")], maxAttempts: 3)
            let newer = try #require(try storage.jobs.claim(workerID: "w", lease: 30))
            #expect(try storage.jobs.complete(newer.claim, product: Sample.record("b", name: "Back")) == .applied)
        }
    }

    @Test("failures retry until attempts run out; a permanent one ends the job; release gives a job back; reclaim expires a name's leases",
          arguments: Backend.all)
    func failuresAndReleases(_ backend: Backend) async throws {
        try await backend.with { instance in
            let jobs = instance.storage.jobs
            let job = try jobs.enqueue([Sample.upload("a"), Sample.upload("b"), Sample.upload("c")], maxAttempts: 2)
            let first = try #require(try jobs.claim(workerID: "w", lease: 30))
            try jobs.fail(first.claim, error: "busy", permanent: false, retryAfter: 0)
            #expect(try jobs.job(id: job[0].id)?.status == .queued)
            let second = try #require(try jobs.claim(workerID: "w", lease: 30))
            #expect(second.job.id == job[0].id && second.claim.attempt == 2)
            try jobs.fail(second.claim, error: "busy", permanent: false, retryAfter: 0)
            #expect(try jobs.job(id: job[0].id)?.status == .failed, "out of attempts")
            let b = try #require(try jobs.claim(workerID: "w", lease: 30))
            try jobs.fail(b.claim, error: "undecodable", permanent: true, retryAfter: 0)
            #expect(try jobs.recentFailures(limit: 5).map(\.id).sorted() == [job[0].id, job[1].id].sorted())
            let c = try #require(try jobs.claim(workerID: "w2", lease: 30))
            try jobs.release([c.claim])
            #expect(try jobs.job(id: job[2].id).map { ($0.status, $0.attempts) } ?? (.failed, -1) == (.queued, 0))
            _ = try #require(try jobs.claim(workerID: "w3", lease: 30))
            #expect(try jobs.reclaim(workerID: "w3") == 1)
            #expect(try jobs.claim(workerID: "w4", lease: 30)?.job.id == job[2].id, "taken over at once")
        }
    }

    @Test("uploads are kept while a job or a product uses them; purge removes finished jobs", arguments: Backend.all)
    func originalsAndPurge(_ backend: Backend) async throws {
        try await backend.with { instance in
            let storage = instance.storage
            let upload = Sample.upload("a")
            _ = try storage.jobs.enqueue([upload], maxAttempts: 3)
            #expect(try storage.products.originalImage(digest: upload.imageDigest) == upload.image)
            let claimed = try #require(try storage.jobs.claim(workerID: "w", lease: 30))
            var record = Sample.record("a")
            record.imageDigest = upload.imageDigest
            #expect(try storage.jobs.complete(claimed.claim, product: record) == .applied)
            #expect(try storage.jobs.purge(finishedBefore: Date().addingTimeInterval(3_600)).jobs == 1)
            #expect(try storage.products.originalImage(digest: upload.imageDigest) == upload.image, "the product still uses it")
            #expect(try storage.products.delete(id: "a"))
            #expect(try storage.products.originalImage(digest: upload.imageDigest) == nil, "gone with its last use")
            #expect(try storage.products.stats().originals == 0)
        }
    }
}
