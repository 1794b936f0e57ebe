import Foundation
import NIOCore
import PostgresNIO
import VitrineStore

/// ``JobQueue`` in the same PostgreSQL database as the products (completing a job and writing
/// its product are one transaction). Uploads are kept in the database (`original`), so workers
/// on any host process them. Claims take batches with `FOR UPDATE SKIP LOCKED` (workers never
/// wait for one another's claims); every call on a claimed job is fenced by its claim (worker
/// and attempt), so a stale worker writes nothing. Enqueues notify `vitrine_jobs`.
public final class PostgresJobQueue: JobQueue {
    private let backend: PostgresBackend

    /// Jobs in `backend`.
    public init(backend: PostgresBackend) {
        self.backend = backend
    }

    /// The claim condition: the job is processing under exactly this worker and attempt.
    private static func held(_ claims: [JobClaim]) -> (ids: [String], workers: [String], attempts: [Int]) {
        (claims.map(\.jobID), claims.map(\.workerID), claims.map(\.attempt))
    }

    public func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord] {
        guard !uploads.isEmpty else { return [] }
        let now = Date()
        return try backend.write { session, order in
            // Under the write order's lock, so no concurrent release removes an original a new job needs.
            var seen = Set<String>()
            let originals = uploads.filter { seen.insert($0.imageDigest).inserted }
            let digests = originals.map(\.imageDigest)
            let kept = Set(try session.query("SELECT digest FROM original WHERE digest = ANY(\(digests))").map { try $0.decode(String.self) })
            let missing = originals.filter { !kept.contains($0.imageDigest) }
            if !missing.isEmpty {
                try session.query("""
                    INSERT INTO original (digest, bytes)
                    SELECT * FROM unnest(\(missing.map(\.imageDigest))::text[], \(missing.map { PostgresRows.bytes($0.image) })::bytea[])
                    ON CONFLICT (digest) DO NOTHING
                    """)
            }
            let jobs = uploads.map { upload in
                JobRecord(id: UUID().uuidString.lowercased(), sequence: order.take(), fields: upload.fields, status: .queued,
                          attempts: 0, error: nil, workerID: nil, createdAt: now, claimedAt: nil, finishedAt: nil)
            }
            let time = now.timeIntervalSince1970
            try session.query("""
                INSERT INTO job (id, seq, product_id, name, description, metadata, image_digest, status, attempts,
                                 max_attempts, available_at, created_at)
                SELECT u.id, u.seq, u.pid, u.name, u.descr, u.meta, u.digest, 'queued', 0, \(max(1, maxAttempts)), \(time), \(time)
                FROM unnest(\(jobs.map(\.id))::text[], \(jobs.map(\.sequence))::int8[], \(jobs.map(\.fields.productID))::text[],
                            \(jobs.map(\.fields.name))::text[], \(jobs.map(\.fields.description))::text[],
                            \(jobs.map(\.fields.metadata))::text[], \(uploads.map(\.imageDigest))::text[])
                     AS u(id, seq, pid, name, descr, meta, digest)
                """)
            order.notifyJobs = true
            return jobs
        }
    }

    public func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob] {
        let now = Date().timeIntervalSince1970, limit = max(1, limit)
        return try backend.session { session in
            // Idle workers poll: a cheap look first, and a transaction only when there is work.
            let runnable = try session.query("""
                SELECT EXISTS (SELECT 1 FROM job WHERE status = 'queued' AND available_at <= \(now))
                    OR EXISTS (SELECT 1 FROM job WHERE status = 'processing' AND lease_until < \(now))
                """).first?.decode(Bool.self) ?? false
            guard runnable else { return [] }
            return try session.transaction {
                // Jobs whose worker died too often end here, so they are not claimed forever.
                try session.query("""
                    UPDATE job SET status = 'failed', finished_at = \(now), lease_until = NULL,
                           error = COALESCE(error, 'its worker stopped ' || attempts || ' times before finishing it')
                    WHERE status = 'processing' AND lease_until < \(now) AND attempts >= max_attempts
                    """)
                // Expired leases first (their worker died), then queued jobs, in write order; rows
                // another worker is claiming right now are skipped, not waited for.
                var rows = try self.take(session, "status = 'processing' AND lease_until < \(now)", workerID: workerID,
                                         lease: lease, now: now, limit: limit)
                if rows.count < limit {
                    rows += try self.take(session, "status = 'queued' AND available_at <= \(now)", workerID: workerID,
                                          lease: lease, now: now, limit: limit - rows.count)
                }
                var claimed: [ClaimedJob] = [], missing: [String] = []
                for (job, digest, bytes) in rows {
                    guard let digest, let bytes else { missing.append(job.id); continue }
                    claimed.append(ClaimedJob(job: job, image: Data(bytes.readableBytesView), imageDigest: digest))
                }
                if !missing.isEmpty {
                    try session.query("""
                        UPDATE job SET status = 'failed', finished_at = \(now), error = 'its upload is missing' WHERE id = ANY(\(missing))
                        """)
                }
                return claimed
            }
        }
    }

    /// Claims up to `limit` jobs matching `condition` (SQL over `job`, with no parameters).
    private func take(_ session: Session, _ condition: String, workerID: String, lease: TimeInterval, now: Double,
                      limit: Int) throws -> [(JobRecord, String?, ByteBuffer?)] {
        var binds = PostgresBindings(capacity: 4)
        binds.append(workerID)
        binds.append(now + lease)
        binds.append(now)
        binds.append(limit)
        let rows = try session.query(PostgresQuery(unsafeSQL: """
            UPDATE job SET status = 'processing', worker_id = $1, lease_until = $2, claimed_at = $3, attempts = job.attempts + 1
            FROM (SELECT id FROM job WHERE \(condition) ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) AS picked
            WHERE job.id = picked.id
            RETURNING \(Self.jobColumns("job")), (SELECT bytes FROM original WHERE original.digest = job.image_digest)
            """, binds: binds))
        return try rows.map { row in
            let cells = row.makeRandomAccess()
            return (try Self.record(row), try cells[13].decode(String?.self), try cells[14].decode(ByteBuffer?.self))
        }.sorted { $0.0.sequence < $1.0.sequence }
    }

    public func renew(_ claims: [JobClaim], lease: TimeInterval) throws(StoreError) -> [Bool] {
        guard !claims.isEmpty else { return [] }
        let until = Date().timeIntervalSince1970 + lease
        let (ids, workers, attempts) = Self.held(claims)
        let renewed = try backend.session { session in
            Set(try session.query("""
                UPDATE job SET lease_until = \(until)
                FROM unnest(\(ids)::text[], \(workers)::text[], \(attempts)::int8[]) AS c(id, worker, attempt)
                WHERE job.id = ANY(\(ids)) AND job.id = c.id AND job.worker_id = c.worker AND job.attempts = c.attempt AND job.status = 'processing'
                RETURNING job.id
                """).map { try $0.decode(String.self) })
        }
        return claims.map { renewed.contains($0.jobID) }
    }

    public func complete(_ results: [(claim: JobClaim, product: ProductRecord)]) throws(StoreError) -> [JobCompletion] {
        guard !results.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        return try backend.write { session, order in
            let (ids, workers, attempts) = Self.held(results.map(\.claim))
            // Locks the held jobs: a renewal or a reclaim of the same jobs waits for this commit.
            var sequences: [String: Int64] = [:]
            for row in try session.query("""
                SELECT job.id, job.seq FROM job
                JOIN unnest(\(ids)::text[], \(workers)::text[], \(attempts)::int8[]) AS c(id, worker, attempt)
                  ON job.id = c.id AND job.worker_id = c.worker AND job.attempts = c.attempt
                WHERE job.id = ANY(\(ids)) AND job.status = 'processing' FOR UPDATE OF job
                """) {
                let (id, sequence) = try row.decode((String, Int64).self)
                sequences[id] = sequence
            }
            let products = results.filter { sequences[$0.claim.jobID] != nil }.map(\.product.productID)
            var last = try PostgresRows.lastWrites(of: products, in: session)
            var outcomes: [JobCompletion] = [], writes: [(product: ProductRecord, sequence: Int64?)] = []
            for (claim, product) in results {
                guard let sequence = sequences.removeValue(forKey: claim.jobID) else { outcomes.append(.leaseLost); continue }
                // Newer than the product's stored write and than its tombstone: only then does the job write.
                if last[product.productID, default: 0] < sequence {
                    writes.append((product, sequence))
                    last[product.productID] = sequence
                    outcomes.append(.applied)
                } else {
                    outcomes.append(.superseded)
                }
            }
            try PostgresRows.upsert(writes, in: session, order: &order)
            let done = zip(results, outcomes).filter { $0.1 != .leaseLost }
            let superseded = done.filter { $0.1 == .superseded }.map(\.0.product.productID)
            let deleted = superseded.isEmpty ? Set<String>() : Set(try session.query(
                "SELECT product_id FROM tombstone WHERE product_id = ANY(\(superseded))").map { try $0.decode(String.self) })
            let messages = done.map { result, outcome -> String in
                guard outcome == .superseded else { return "" }
                return deleted.contains(result.product.productID) ? "superseded: the product was deleted after this job was queued"
                    : "superseded by a newer write of this product"
            }
            try session.query("""
                UPDATE job SET status = 'succeeded', finished_at = \(now), lease_until = NULL, error = NULLIF(c.message, '')
                FROM unnest(\(done.map(\.0.claim.jobID))::text[], \(messages)::text[]) AS c(id, message)
                WHERE job.id = ANY(\(done.map(\.0.claim.jobID))) AND job.id = c.id
                """)
            return outcomes
        }
    }

    public func fail(_ claim: JobClaim, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError) {
        let now = Date().timeIntervalSince1970
        _ = try backend.session { session in
            try session.query("""
                UPDATE job SET
                    status = CASE WHEN \(permanent) OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN \(permanent) OR attempts >= max_attempts THEN \(now) ELSE NULL END,
                    available_at = \(now + retryAfter), lease_until = NULL, error = \(error)
                WHERE id = \(claim.jobID) AND worker_id = \(claim.workerID) AND attempts = \(claim.attempt) AND status = 'processing'
                """)
        }
    }

    public func release(_ claims: [JobClaim]) throws(StoreError) {
        guard !claims.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let (ids, workers, attempts) = Self.held(claims)
        _ = try backend.session { session in
            try session.query("""
                UPDATE job SET status = 'queued', lease_until = NULL, attempts = GREATEST(job.attempts - 1, 0), available_at = \(now)
                FROM unnest(\(ids)::text[], \(workers)::text[], \(attempts)::int8[]) AS c(id, worker, attempt)
                WHERE job.id = ANY(\(ids)) AND job.id = c.id AND job.worker_id = c.worker AND job.attempts = c.attempt AND job.status = 'processing'
                """)
        }
    }

    public func reclaim(workerID: String) throws(StoreError) -> Int {
        try backend.session { session in
            try session.execute("UPDATE job SET lease_until = 0 WHERE worker_id = \(workerID) AND status = 'processing'")
        }
    }

    public func job(id: String) throws(StoreError) -> JobRecord? {
        try backend.session { session in
            try session.query(PostgresQuery(unsafeSQL: "SELECT \(Self.jobColumns("job")) FROM job WHERE id = $1",
                                            binds: PostgresProductStore.binds(id))).first.map(Self.record)
        }
    }

    public func counts() throws(StoreError) -> [JobStatus: Int] {
        try backend.session { session in
            var counts = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
            for row in try session.query("SELECT status, COUNT(*) FROM job GROUP BY status") {
                let (status, count) = try row.decode((String, Int).self)
                if let status = JobStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    public func recentFailures(limit: Int) throws(StoreError) -> [JobRecord] {
        try backend.session { session in
            try session.query(PostgresQuery(unsafeSQL: """
                SELECT \(Self.jobColumns("job")) FROM job WHERE status = 'failed' ORDER BY finished_at DESC LIMIT $1
                """, binds: PostgresProductStore.binds(limit))).map(Self.record)
        }
    }

    public func purge(finishedBefore cutoff: Date) throws(StoreError) -> PurgeResult {
        let cut = cutoff.timeIntervalSince1970
        return try backend.write { session, _ in
            let digests = try session.query("""
                DELETE FROM job WHERE status IN ('succeeded', 'failed') AND finished_at < \(cut) RETURNING image_digest
                """).map { try $0.decode(String?.self) }
            var result = PurgeResult(jobs: digests.count)
            try PostgresRows.releaseOriginals(digests.compactMap { $0 }, in: session)
            result.tombstones = try PostgresRows.purgeTombstones(before: cut, in: session)
            return result
        }
    }

    /// The columns ``record(_:)`` decodes, in its order (the 14th, `image_digest`, is at index 13).
    static func jobColumns(_ table: String) -> String {
        ["id", "seq", "product_id", "name", "description", "metadata", "status", "attempts", "error", "worker_id",
         "created_at", "claimed_at", "finished_at", "image_digest"].map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func record(_ row: PostgresRow) throws -> JobRecord {
        let cells = row.makeRandomAccess()
        let claimed = try cells[11].decode(Double?.self), finished = try cells[12].decode(Double?.self)
        return JobRecord(
            id: try cells[0].decode(String.self), sequence: try cells[1].decode(Int64.self),
            fields: ProductFields(productID: try cells[2].decode(String.self), name: try cells[3].decode(String.self),
                                  description: try cells[4].decode(String.self), metadata: try cells[5].decode(String.self)),
            status: JobStatus(rawValue: try cells[6].decode(String.self)) ?? .failed, attempts: try cells[7].decode(Int.self),
            error: try cells[8].decode(String?.self), workerID: try cells[9].decode(String?.self),
            createdAt: Date(timeIntervalSince1970: try cells[10].decode(Double.self)),
            claimedAt: claimed.map(Date.init(timeIntervalSince1970:)), finishedAt: finished.map(Date.init(timeIntervalSince1970:)))
    }
}
