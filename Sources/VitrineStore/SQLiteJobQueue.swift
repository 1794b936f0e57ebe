import Foundation
import GRDB

/// ``JobQueue`` in the same ``SQLiteDatabase`` as the products (so completing a
/// job and writing its product are one transaction). See README.md.
public final class SQLiteJobQueue: JobQueue {
    private let database: SQLiteDatabase

    /// Jobs in `database`.
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Jobs in the database of `store`.
    public convenience init(store: SQLiteProductStore) {
        self.init(database: store.database)
    }

    /// The claim condition: the job is processing under exactly this worker and attempt.
    private static let held = "id = ? AND worker_id = ? AND attempts = ? AND status = 'processing'"

    private static func arguments(_ claim: JobClaim) -> StatementArguments {
        [claim.jobID, claim.workerID, claim.attempt]
    }

    public func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord] {
        try database.write { db in try uploads.map { try Self.enqueueOne(db, $0, maxAttempts: maxAttempts) } }
    }

    private static func enqueueOne(_ db: Database, _ upload: Upload, maxAttempts: Int) throws -> JobRecord {
        let id = UUID().uuidString.lowercased()
        let now = Date()
        let request = upload.fields
        let sequence = try ProductRows.nextSequence(db)
        try ProductRows.keepOriginal(upload.image, digest: upload.imageDigest, in: db)
        try db.cachedStatement(sql: """
            INSERT INTO job (id, seq, product_id, name, description, metadata, image_digest, status, attempts,
                             max_attempts, available_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)
            """).execute(arguments: [id, sequence, request.productID, request.name, request.description, request.metadata,
                                     upload.imageDigest, max(1, maxAttempts), now.timeIntervalSince1970, now.timeIntervalSince1970])
        return JobRecord(id: id, sequence: sequence, fields: request, status: .queued, attempts: 0, error: nil,
                         workerID: nil, createdAt: now, claimedAt: nil, finishedAt: nil)
    }

    public func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob] {
        // Idle workers poll: look with a cheap read first, and take the write lock only when there is work.
        let now = Date().timeIntervalSince1970
        let runnable = try database.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM job WHERE status = 'queued' AND available_at <= ?)
                    OR EXISTS (SELECT 1 FROM job WHERE status = 'processing' AND lease_until < ?)
                """), arguments: [now, now]) ?? false
        }
        guard runnable else { return [] }
        return try database.write { db in try Self.claim(db, workerID: workerID, lease: lease, limit: max(1, limit)) }
    }

    /// Takes up to `limit` runnable jobs in write order: expired leases first (their worker died), then queued jobs.
    private static func claim(_ db: Database, workerID: String, lease: TimeInterval, limit: Int) throws -> [ClaimedJob] {
        let now = Date().timeIntervalSince1970
        // Jobs whose worker died too often end here, so they are not claimed forever.
        try db.cachedStatement(sql: """
            UPDATE job SET status = 'failed', finished_at = ?, lease_until = NULL,
                   error = COALESCE(error, 'its worker stopped ' || attempts || ' times before finishing it')
            WHERE status = 'processing' AND lease_until < ? AND attempts >= max_attempts
            """).execute(arguments: [now, now])
        var ids = try String.fetchAll(db.cachedStatement(sql: """
            SELECT id FROM job WHERE status = 'processing' AND lease_until < ? ORDER BY seq LIMIT ?
            """), arguments: [now, limit])
        if ids.count < limit {
            ids += try String.fetchAll(db.cachedStatement(sql: """
                SELECT id FROM job WHERE status = 'queued' AND available_at <= ? ORDER BY seq LIMIT ?
                """), arguments: [now, limit - ids.count])
        }
        var claimed: [ClaimedJob] = []
        for id in ids {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                UPDATE job SET status = 'processing', worker_id = ?, lease_until = ?, claimed_at = ?, attempts = attempts + 1
                WHERE id = ? RETURNING *
                """), arguments: [workerID, now + lease, now, id]) else { continue }
            let job = Self.record(row)
            let digest: String? = row["image_digest"]
            guard let digest, let bytes = try Data.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM original WHERE digest = ?"),
                                                            arguments: [digest]) else {
                try db.cachedStatement(sql: "UPDATE job SET status = 'failed', finished_at = ?, error = 'its upload is missing' WHERE id = ?")
                    .execute(arguments: [now, job.id])
                continue
            }
            claimed.append(ClaimedJob(job: job, image: bytes, imageDigest: digest))
        }
        return claimed
    }

    public func renew(_ claims: [JobClaim], lease: TimeInterval) throws(StoreError) -> [Bool] {
        guard !claims.isEmpty else { return [] }
        return try database.write { db in
            let until = Date().timeIntervalSince1970 + lease
            return try claims.map { claim in
                try db.cachedStatement(sql: "UPDATE job SET lease_until = ? WHERE \(Self.held)")
                    .execute(arguments: [until] + Self.arguments(claim))
                return db.changesCount > 0
            }
        }
    }

    public func complete(_ results: [(claim: JobClaim, product: ProductRecord)]) throws(StoreError) -> [JobCompletion] {
        guard !results.isEmpty else { return [] }
        return try database.write { db in try results.map { try Self.completeOne(db, claim: $0.claim, product: $0.product) } }
    }

    private static func completeOne(_ db: Database, claim: JobClaim, product: ProductRecord) throws -> JobCompletion {
        let now = Date().timeIntervalSince1970
        guard let sequence = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM job WHERE \(Self.held)"),
                                                arguments: Self.arguments(claim)) else { return .leaseLost }
        // Newer than the product's stored write and than its tombstone: only then does the job write.
        let outcome: JobCompletion = try ProductRows.lastWrite(of: product.productID, in: db) < sequence ? .applied : .superseded
        if outcome == .applied { try ProductRows.upsert(product, sequence: sequence, in: db) }
        try db.cachedStatement(sql: """
            UPDATE job SET status = 'succeeded', finished_at = ?, lease_until = NULL, error = ? WHERE id = ?
            """).execute(arguments: [now, outcome == .superseded ? Self.supersededMessage(db, product.productID) : nil, claim.jobID])
        return outcome
    }

    /// Why a job wrote nothing, for its record.
    private static func supersededMessage(_ db: Database, _ productID: String) throws -> String {
        let deleted = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tombstone WHERE product_id = ?)"),
                                        arguments: [productID]) ?? false
        return deleted ? "superseded: the product was deleted after this job was queued"
            : "superseded by a newer write of this product"
    }

    public func fail(_ claim: JobClaim, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError) {
        let now = Date().timeIntervalSince1970
        try database.write { db in
            try db.cachedStatement(sql: """
                UPDATE job SET
                    status = CASE WHEN ? OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN ? OR attempts >= max_attempts THEN ? ELSE NULL END,
                    available_at = ?, lease_until = NULL, error = ?
                WHERE \(Self.held)
                """).execute(arguments: [permanent, permanent, now, now + retryAfter, error] + Self.arguments(claim))
        }
    }

    public func release(_ claims: [JobClaim]) throws(StoreError) {
        guard !claims.isEmpty else { return }
        try database.write { db in
            let now = Date().timeIntervalSince1970
            for claim in claims {
                try db.cachedStatement(sql: """
                    UPDATE job SET status = 'queued', lease_until = NULL, attempts = MAX(attempts - 1, 0), available_at = ?
                    WHERE \(Self.held)
                    """).execute(arguments: [now] + Self.arguments(claim))
            }
        }
    }

    public func reclaim(workerID: String) throws(StoreError) -> Int {
        try database.write { db in
            try db.cachedStatement(sql: "UPDATE job SET lease_until = 0 WHERE worker_id = ? AND status = 'processing'")
                .execute(arguments: [workerID])
            return db.changesCount
        }
    }

    public func job(id: String) throws(StoreError) -> JobRecord? {
        try database.read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM job WHERE id = ?"), arguments: [id]).map(Self.record) }
    }

    public func counts() throws(StoreError) -> [JobStatus: Int] {
        try database.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM job GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    public func recentFailures(limit: Int) throws(StoreError) -> [JobRecord] {
        try database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM job WHERE status = 'failed' ORDER BY finished_at DESC LIMIT ?
                """), arguments: [limit]).map(Self.record)
        }
    }

    public func purge(finishedBefore cutoff: Date) throws(StoreError) -> PurgeResult {
        try database.write { db in
            let cut = cutoff.timeIntervalSince1970
            let digests = try String?.fetchAll(db, sql: """
                DELETE FROM job WHERE status IN ('succeeded', 'failed') AND finished_at < ? RETURNING image_digest
                """, arguments: [cut])
            var result = PurgeResult(jobs: digests.count)
            for digest in Set(digests.compactMap { $0 }) { try ProductRows.releaseOriginal(digest, in: db) }
            result.tombstones = try ProductRows.purgeTombstones(before: cut, in: db)
            return result
        }
    }

    static func record(_ row: Row) -> JobRecord {
        let finished: Double? = row["finished_at"], claimed: Double? = row["claimed_at"]
        return JobRecord(
            id: row["id"], sequence: row["seq"],
            fields: ProductFields(productID: row["product_id"], name: row["name"], description: row["description"],
                                  metadata: row["metadata"]),
            status: JobStatus(rawValue: row["status"]) ?? .failed, attempts: row["attempts"], error: row["error"],
            workerID: row["worker_id"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            claimedAt: claimed.map(Date.init(timeIntervalSince1970:)),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)))
    }
}
