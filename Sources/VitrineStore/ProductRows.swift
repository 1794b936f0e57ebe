import Foundation
import GRDB

/// The writes of product rows that the SQLite store and queue both make, inside the
/// caller's transaction: write numbers, upserts (with their change numbers), kept
/// originals, tombstones. Neither the store nor the queue reaches into the other.
enum ProductRows {
    /// Takes the next number of the one write order (inside the caller's transaction).
    static func nextSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "UPDATE write_sequence SET value = value + 1 RETURNING value")) ?? 0
    }

    /// Inserts or replaces one product as write number `sequence` (a fresh one when nil), with a
    /// fresh change number for the feed: its thumbnail follows, a tombstone older than the write
    /// goes, and an original image no product or job uses any more is removed.
    static func upsert(_ product: ProductRecord, sequence: Int64?, in db: Database) throws {
        let change = try nextSequence(db)
        let sequence = sequence ?? change
        let now = Timestamp.text(Date())
        let previous = try String?.fetchOne(db.cachedStatement(sql: "SELECT image_digest FROM product WHERE product_id = ?"),
                                            arguments: [product.productID]) ?? nil
        let statement = try db.cachedStatement(sql: """
            INSERT INTO product (product_id, name, description, metadata, text_digest, image_digest,
                             image_path, image_width, image_height, model, fused, image_vector,
                             text_vector, created_at, updated_at, applied_seq, change_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(product_id) DO UPDATE SET
            name = excluded.name, description = excluded.description, metadata = excluded.metadata,
            text_digest = excluded.text_digest, image_digest = excluded.image_digest,
            image_path = excluded.image_path,
            image_width = excluded.image_width, image_height = excluded.image_height,
            model = excluded.model, fused = excluded.fused, image_vector = excluded.image_vector,
            text_vector = excluded.text_vector, updated_at = excluded.updated_at,
            applied_seq = excluded.applied_seq, change_seq = excluded.change_seq
            RETURNING id
            """)
        let rowID = try Int64.fetchOne(statement, arguments: [
            product.productID, product.name, product.description, product.metadata, product.textDigest,
            product.imageDigest, product.imagePath, product.imageWidth, product.imageHeight, product.model,
            VectorBlob.encode(product.fused), product.image.map(VectorBlob.encode),
            // A product without an image has its text vector as its fused vector: stored once.
            product.text == product.fused ? Data() : VectorBlob.encode(product.text), now, now, sequence, change,
        ])
        try writeText(product, rowID: rowID, in: db)
        // The thumbnail follows the image: replaced with it, gone when the product no longer has one.
        if let thumbnail = product.thumbnail {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO thumbnail (product, jpeg) VALUES (?, ?)")
                .execute(arguments: [rowID, Data(thumbnail)])
        } else {
            try db.cachedStatement(sql: "DELETE FROM thumbnail WHERE product = ?").execute(arguments: [rowID])
        }
        try db.cachedStatement(sql: "DELETE FROM tombstone WHERE product_id = ? AND seq < ?")
            .execute(arguments: [product.productID, sequence])
        if let previous, previous != product.imageDigest { try releaseOriginal(previous, in: db) }
    }

    /// Writes a product's folded text into the full-text index (`product_text`, FTS5; its row
    /// goes with the product's by a trigger).
    static func writeText(_ product: ProductRecord, rowID: Int64?, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM product_text WHERE rowid = ?").execute(arguments: [rowID])
        try db.cachedStatement(sql: "INSERT INTO product_text (rowid, name, description, metadata) VALUES (?, ?, ?, ?)")
            .execute(arguments: [rowID, LexicalQuery.document(product.name), LexicalQuery.document(product.description),
                                 LexicalQuery.document(product.metadata)])
    }

    /// Deletes a product, leaving a tombstone at a fresh place in the write order (which is
    /// also its change number); false when it had neither a row nor a pending job.
    static func delete(_ productID: String, in db: Database) throws -> Bool {
        let image = try Row.fetchOne(db.cachedStatement(sql: "SELECT image_digest FROM product WHERE product_id = ?"),
                                     arguments: [productID])
        let pending = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM job WHERE product_id = ? AND status IN ('queued', 'processing'))
            """), arguments: [productID]) ?? false
        guard image != nil || pending else { return false }
        // The tombstone takes the delete's place in the write order: an older job or write never
        // brings the product back; a newer one does (and removes the tombstone).
        let sequence = try nextSequence(db)
        try db.cachedStatement(sql: "DELETE FROM product WHERE product_id = ?").execute(arguments: [productID])
        try db.cachedStatement(sql: """
            INSERT INTO tombstone (product_id, seq, deleted_at, change_seq) VALUES (?, ?, ?, ?)
            ON CONFLICT(product_id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at,
                change_seq = excluded.change_seq
            """).execute(arguments: [productID, sequence, Date().timeIntervalSince1970, sequence])
        if let digest: String = image?["image_digest"] { try releaseOriginal(digest, in: db) }
        return true
    }

    /// Keeps an uploaded image's bytes once per digest.
    static func keepOriginal(_ bytes: Data, digest: String, in db: Database) throws {
        // Looked up first: an image uploaded again is not bound (copied) a second time.
        let kept = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM original WHERE digest = ?)"),
                                     arguments: [digest]) ?? false
        guard !kept else { return }
        try db.cachedStatement(sql: "INSERT INTO original (digest, bytes) VALUES (?, ?)").execute(arguments: [digest, bytes])
    }

    /// Removes the original image `digest` when no product made from an upload and no job uses it any more.
    static func releaseOriginal(_ digest: String, in db: Database) throws {
        try db.cachedStatement(sql: """
            DELETE FROM original WHERE digest = ?1
                AND NOT EXISTS (SELECT 1 FROM product WHERE image_digest = ?1 AND image_path IS NULL)
                AND NOT EXISTS (SELECT 1 FROM job WHERE image_digest = ?1)
            """).execute(arguments: [digest])
    }

    /// The newest write that decided a product's fate: its stored write, or the tombstone of its
    /// delete (0 when neither exists).
    static func lastWrite(of productID: String, in db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT MAX(COALESCE((SELECT applied_seq FROM product WHERE product_id = ?1), 0),
                       COALESCE((SELECT seq FROM tombstone WHERE product_id = ?1), 0))
            """), arguments: [productID]) ?? 0
    }

    /// Deletes tombstones older than `cutoff` that no pending job is older than, raising the
    /// feed's floor past them; returns how many.
    static func purgeTombstones(before cutoff: TimeInterval, in db: Database) throws -> Int {
        // A tombstone must outlive every job older than it that could still complete.
        let purged = try Int64.fetchAll(db, sql: """
            DELETE FROM tombstone WHERE deleted_at < ? AND NOT EXISTS (
                SELECT 1 FROM job WHERE job.product_id = tombstone.product_id AND job.seq < tombstone.seq
                    AND job.status IN ('queued', 'processing'))
            RETURNING change_seq
            """, arguments: [cutoff])
        if let highest = purged.max() {
            try db.execute(sql: "UPDATE feed SET floor = MAX(floor, ?)", arguments: [highest])
        }
        return purged.count
    }
}
