import Foundation
import GRDB

/// ``JobQueue`` in the same SQLite database as the products (so completing a
/// job and writing its product are one transaction). See README.md.
public final class SQLiteJobQueue: JobQueue {
    private let store: SQLiteProductStore

    /// Jobs in `store`'s database.
    public init(store: SQLiteProductStore) {
        self.store = store
    }

    public func enqueue(_ request: IndexRequest, image: Data, imageDigest: String, maxAttempts: Int) throws(StoreError) -> JobRecord {
        try enqueue([Upload(request: request, image: image, imageDigest: imageDigest)], maxAttempts: maxAttempts)[0]
    }

    public func enqueue(_ uploads: [Upload], maxAttempts: Int) throws(StoreError) -> [JobRecord] {
        try store.write { db in try uploads.map { try Self.enqueueOne(db, $0, maxAttempts: maxAttempts) } }
    }

    private static func enqueueOne(_ db: Database, _ upload: Upload, maxAttempts: Int) throws -> JobRecord {
        let id = UUID().uuidString.lowercased()
        let now = Date()
        let request = upload.request
        let sequence = try SQLiteProductStore.nextSequence(db)
        try db.cachedStatement(sql: "INSERT INTO upload (bytes, digest) VALUES (?, ?)")
            .execute(arguments: [upload.image, upload.imageDigest])
        let uploadID = db.lastInsertedRowID
        try db.cachedStatement(sql: """
            INSERT INTO job (id, seq, product_id, name, description, metadata, upload_id, status, attempts,
                             max_attempts, available_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)
            """).execute(arguments: [id, sequence, request.productID, request.name, request.description, request.metadata,
                                     uploadID, max(1, maxAttempts), now.timeIntervalSince1970, now.timeIntervalSince1970])
        return JobRecord(id: id, sequence: sequence, request: request, status: .queued, attempts: 0, error: nil,
                         workerID: nil, createdAt: now, finishedAt: nil)
    }

    public func claim(workerID: String, lease: TimeInterval) throws(StoreError) -> ClaimedJob? {
        try claim(workerID: workerID, lease: lease, limit: 1).first
    }

    public func claim(workerID: String, lease: TimeInterval, limit: Int) throws(StoreError) -> [ClaimedJob] {
        // Idle workers poll: look with a cheap read first, and take the write lock only when there is work.
        let now = Date().timeIntervalSince1970
        let runnable = try store.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM job WHERE status = 'queued' AND available_at <= ?)
                    OR EXISTS (SELECT 1 FROM job WHERE status = 'processing' AND lease_until < ?)
                """), arguments: [now, now]) ?? false
        }
        guard runnable else { return [] }
        return try store.write { db in try Self.claim(db, workerID: workerID, lease: lease, limit: max(1, limit)) }
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
                UPDATE job SET status = 'processing', worker_id = ?, lease_until = ?, attempts = attempts + 1
                WHERE id = ? RETURNING *
                """), arguments: [workerID, now + lease, id]) else { continue }
            let job = Self.record(row)
            guard let upload = try Row.fetchOne(db.cachedStatement(sql: "SELECT bytes, digest FROM upload WHERE id = ?"),
                                                arguments: [row["upload_id"] as Int64?]) else {
                try db.cachedStatement(sql: "UPDATE job SET status = 'failed', finished_at = ?, error = 'its upload is missing' WHERE id = ?")
                    .execute(arguments: [now, job.id])
                continue
            }
            claimed.append(ClaimedJob(job: job, image: upload["bytes"], imageDigest: upload["digest"]))
        }
        return claimed
    }

    public func renew(jobID: String, workerID: String, lease: TimeInterval) throws(StoreError) -> Bool {
        try store.write { db in
            try db.cachedStatement(sql: "UPDATE job SET lease_until = ? WHERE id = ? AND worker_id = ? AND status = 'processing'")
                .execute(arguments: [Date().timeIntervalSince1970 + lease, jobID, workerID])
            return db.changesCount > 0
        }
    }

    public func complete(jobID: String, workerID: String, product: ProductRecord) throws(StoreError) -> JobCompletion {
        try complete([(jobID, product)], workerID: workerID)[0]
    }

    public func complete(_ results: [(jobID: String, product: ProductRecord)], workerID: String) throws(StoreError) -> [JobCompletion] {
        try store.write { db in try results.map { try Self.completeOne(db, jobID: $0.jobID, workerID: workerID, product: $0.product) } }
    }

    private static func completeOne(_ db: Database, jobID: String, workerID: String, product: ProductRecord) throws -> JobCompletion {
        let now = Date().timeIntervalSince1970
        guard let sequence = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT seq FROM job WHERE id = ? AND worker_id = ? AND status = 'processing'
            """), arguments: [jobID, workerID]) else { return .leaseLost }
        let applied = try Int64.fetchOne(db.cachedStatement(sql: "SELECT applied_seq FROM product WHERE product_id = ?"),
                                         arguments: [product.productID]) ?? 0
        let outcome: JobCompletion
        if applied < sequence {
            try SQLiteProductStore.upsert(product, sequence: sequence, in: db)
            outcome = .applied
        } else {
            outcome = .superseded
        }
        try db.cachedStatement(sql: """
            UPDATE job SET status = 'succeeded', finished_at = ?, lease_until = NULL, error = ? WHERE id = ?
            """).execute(arguments: [now, outcome == .superseded ? "superseded by a newer write of this product" : nil, jobID])
        return outcome
    }

    public func fail(jobID: String, workerID: String, error: String, permanent: Bool, retryAfter: TimeInterval) throws(StoreError) {
        let now = Date().timeIntervalSince1970
        try store.write { db in
            try db.execute(sql: """
                UPDATE job SET
                    status = CASE WHEN ? OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN ? OR attempts >= max_attempts THEN ? ELSE NULL END,
                    available_at = ?, lease_until = NULL, error = ?
                WHERE id = ? AND worker_id = ? AND status = 'processing'
                """, arguments: [permanent, permanent, now, now + retryAfter, error, jobID, workerID])
        }
    }

    public func release(jobID: String, workerID: String) throws(StoreError) {
        try store.write { db in
            try db.execute(sql: """
                UPDATE job SET status = 'queued', lease_until = NULL, attempts = MAX(attempts - 1, 0), available_at = ?
                WHERE id = ? AND worker_id = ? AND status = 'processing'
                """, arguments: [Date().timeIntervalSince1970, jobID, workerID])
        }
    }

    public func job(id: String) throws(StoreError) -> JobRecord? {
        try store.read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM job WHERE id = ?"), arguments: [id]).map(Self.record) }
    }

    public func counts() throws(StoreError) -> [JobStatus: Int] {
        try store.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM job GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    public func recentFailures(limit: Int) throws(StoreError) -> [JobRecord] {
        try store.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM job WHERE status = 'failed' ORDER BY finished_at DESC LIMIT ?
                """), arguments: [limit]).map(Self.record)
        }
    }

    public func purge(finishedBefore cutoff: Date) throws(StoreError) -> Int {
        try store.write { db in
            let cut = cutoff.timeIntervalSince1970
            try db.execute(sql: """
                DELETE FROM upload WHERE id IN (SELECT upload_id FROM job
                    WHERE status IN ('succeeded', 'failed') AND finished_at < ? AND upload_id IS NOT NULL)
                """, arguments: [cut])
            try db.execute(sql: "DELETE FROM job WHERE status IN ('succeeded', 'failed') AND finished_at < ?", arguments: [cut])
            return db.changesCount
        }
    }

    static func record(_ row: Row) -> JobRecord {
        let finished: Double? = row["finished_at"]
        return JobRecord(
            id: row["id"], sequence: row["seq"],
            request: IndexRequest(productID: row["product_id"], name: row["name"], description: row["description"],
                                  metadata: row["metadata"]),
            status: JobStatus(rawValue: row["status"]) ?? .failed, attempts: row["attempts"], error: row["error"],
            workerID: row["worker_id"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)))
    }
}
