import Foundation
import GRDB

/// ``ProductStore`` on SQLite through GRDB: one `DatabasePool` (WAL, so
/// readers never wait for the writer, and other processes can share the
/// file), a busy timeout, full fsync on commit, and versioned migrations run
/// when the store opens. See README.md in this folder for the schema.
public final class SQLiteProductStore: ProductStore {
    /// The database file's path.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Parameters:
    ///   - busyTimeout: how long a writer waits for another process's write lock.
    ///   - automaticCheckpoints: false leaves WAL checkpoints to ``checkpoint()``, called
    ///     off the write path (the server does), so no commit stalls copying the WAL.
    public init(path: String, busyTimeout: TimeInterval = 10, automaticCheckpoints: Bool = true) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // With WAL, FULL makes each commit durable across a power cut, not only a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !automaticCheckpoints { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            // A WAL that grew during a long burst of writes is cut back to 64 MB when it starts over.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError(.unavailable, "cannot open the database \(path): \(error)")
        }
    }

    public func upsert(_ products: [ProductRecord]) throws(StoreError) {
        guard !products.isEmpty else { return }
        try write { db in
            let sequence = try Self.nextSequence(db)
            for product in products { try Self.upsert(product, sequence: sequence, in: db) }
        }
    }

    /// Takes the next write number (inside the caller's transaction).
    static func nextSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "UPDATE write_sequence SET value = value + 1 RETURNING value")) ?? 0
    }

    /// Inserts or replaces one product as write number `sequence` (inside the caller's transaction):
    /// its thumbnail follows, a tombstone older than the write goes, and an original image no product
    /// or job uses any more is removed.
    static func upsert(_ product: ProductRecord, sequence: Int64, in db: Database) throws {
        let now = Timestamp.text(Date())
        let previous = try String?.fetchOne(db.cachedStatement(sql: "SELECT image_digest FROM product WHERE product_id = ?"),
                                            arguments: [product.productID]) ?? nil
        let statement = try db.cachedStatement(sql: """
            INSERT INTO product (product_id, name, description, metadata, text_digest, image_digest,
                             image_path, image_width, image_height, model, fused, image_vector,
                             text_vector, created_at, updated_at, applied_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(product_id) DO UPDATE SET
            name = excluded.name, description = excluded.description, metadata = excluded.metadata,
            text_digest = excluded.text_digest, image_digest = excluded.image_digest,
            image_path = excluded.image_path,
            image_width = excluded.image_width, image_height = excluded.image_height,
            model = excluded.model, fused = excluded.fused, image_vector = excluded.image_vector,
            text_vector = excluded.text_vector, updated_at = excluded.updated_at,
            applied_seq = excluded.applied_seq
            RETURNING id
            """)
        let rowID = try Int64.fetchOne(statement, arguments: [
            product.productID, product.name, product.description, product.metadata, product.textDigest,
            product.imageDigest, product.imagePath, product.imageWidth, product.imageHeight, product.model,
            VectorBlob.encode(product.fused), product.image.map(VectorBlob.encode),
            // A product without an image has its text vector as its fused vector: stored once.
            product.text == product.fused ? Data() : VectorBlob.encode(product.text), now, now, sequence,
        ])
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

    /// Keeps an uploaded image's bytes once per digest (inside the caller's transaction).
    static func keepOriginal(_ bytes: Data, digest: String, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO original (digest, bytes) VALUES (?, ?) ON CONFLICT(digest) DO NOTHING")
            .execute(arguments: [digest, bytes])
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

    public func product(id: String) throws(StoreError) -> ProductRecord? {
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM product WHERE product_id = ?", arguments: [id])
        }
        guard let row else { return nil }
        return try Self.record(row)
    }

    public func thumbnail(productID: String) throws(StoreError) -> StoredThumbnail? {
        let row = try read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT thumbnail.jpeg, product.image_digest FROM thumbnail JOIN product ON product.id = thumbnail.product
                WHERE product.product_id = ?
                """), arguments: [productID])
        }
        guard let row else { return nil }
        let jpeg: Data = row["jpeg"]
        return StoredThumbnail(jpeg: [UInt8](jpeg), imageDigest: row["image_digest"])
    }

    public func delete(id: String) throws(StoreError) -> Bool {
        try write { db in
            let image = try Row.fetchOne(db.cachedStatement(sql: "SELECT image_digest FROM product WHERE product_id = ?"),
                                         arguments: [id])
            let pending = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM job WHERE product_id = ? AND status IN ('queued', 'processing'))
                """), arguments: [id]) ?? false
            guard image != nil || pending else { return false }
            // The tombstone takes the delete's place in the write order: an older job or write never
            // brings the product back; a newer one does (and removes the tombstone).
            let sequence = try Self.nextSequence(db)
            try db.cachedStatement(sql: "DELETE FROM product WHERE product_id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: """
                INSERT INTO tombstone (product_id, seq, deleted_at) VALUES (?, ?, ?)
                ON CONFLICT(product_id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at
                """).execute(arguments: [id, sequence, Date().timeIntervalSince1970])
            if let digest: String = image?["image_digest"] { try Self.releaseOriginal(digest, in: db) }
            return true
        }
    }

    public func tombstone(productID: String) throws(StoreError) -> Int64? {
        try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM tombstone WHERE product_id = ?"), arguments: [productID])
        }
    }

    public func originalImage(digest: String) throws(StoreError) -> Data? {
        try read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM original WHERE digest = ?"), arguments: [digest])
        }
    }

    public func products(ids: [String]) throws(StoreError) -> [String: ProductRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try read { db in
            var rows: [Row] = []
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(start + 500, ids.count)])
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                rows += try Row.fetchAll(db, sql: "SELECT * FROM product WHERE product_id IN (\(placeholders))",
                                         arguments: StatementArguments(slice))
            }
            return rows
        }
        var result: [String: ProductRecord] = [:]
        for row in rows {
            let record = try Self.record(row)
            result[record.productID] = record
        }
        return result
    }

    public func replace(_ products: [ProductRecord]) throws(StoreError) -> [Bool] {
        guard !products.isEmpty else { return [] }
        return try write { db in
            try products.map { product in
                guard let sequence = product.sequence else { return false }
                let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT applied_seq FROM product WHERE product_id = ?"),
                                                 arguments: [product.productID])
                guard current == sequence else { return false } // written or deleted meanwhile: that write stands
                try Self.upsert(product, sequence: sequence, in: db)
                return true
            }
        }
    }

    public func count() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM product") ?? 0 }
    }

    public func fingerprints(for ids: [String]) throws(StoreError) -> [String: ProductFingerprint] {
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            var result: [String: ProductFingerprint] = [:]
            // SQLite allows 32,766 parameters; batches stay well below.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(start + 500, ids.count)])
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT product_id, text_digest, image_digest, model FROM product
                    WHERE product_id IN (\(placeholders))
                    """, arguments: StatementArguments(slice))
                while let row = try rows.next() {
                    result[row["product_id"]] = ProductFingerprint(textDigest: row["text_digest"],
                                                                   imageDigest: row["image_digest"], model: row["model"])
                }
            }
            return result
        }
    }

    public func stats() throws(StoreError) -> StoreStats {
        let (products, withImage, models, originals) = try read { db in
            let products = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM product") ?? 0
            let withImage = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM product WHERE image_vector IS NOT NULL") ?? 0
            var models: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM product GROUP BY model") {
                models[row["model"]] = row["n"]
            }
            let originals = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(length(bytes)), 0) AS size FROM original")
            return (products, withImage, models, (count: originals?["n"] as Int? ?? 0, bytes: originals?["size"] as Int? ?? 0))
        }
        let size = [path, path + "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? nil
        }.reduce(0, +)
        return StoreStats(products: products, withImage: withImage, models: models, bytes: size,
                          originals: originals.count, originalBytes: originals.bytes)
    }

    public func forEachVector(_ kind: VectorKind, _ body: (StoredVector) throws -> Void) throws {
        let column = Self.column(kind)
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, product_id, name, model, \(column) AS vector FROM product
                WHERE \(column) IS NOT NULL ORDER BY id
                """)
            while let row = try rows.next() {
                let data: Data = row["vector"]
                try body(StoredVector(rowID: row["id"], productID: row["product_id"], name: row["name"],
                                      model: row["model"], vector: try VectorBlob.decode(data)))
            }
        }
    }

    public func vectors(_ kind: VectorKind, rowIDs: [Int64]) throws(StoreError) -> [Int64: [Float]] {
        guard !rowIDs.isEmpty else { return [:] }
        let column = Self.column(kind)
        let rows = try read { db in
            var found: [(Int64, Data)] = []
            for start in stride(from: 0, to: rowIDs.count, by: 500) {
                let slice = Array(rowIDs[start..<min(start + 500, rowIDs.count)])
                let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT id, \(column) AS vector FROM product WHERE id IN (\(placeholders)) AND \(column) IS NOT NULL",
                                            arguments: StatementArguments(slice)) {
                    found.append((row["id"], row["vector"]))
                }
            }
            return found
        }
        var result: [Int64: [Float]] = [:]
        for (id, data) in rows { result[id] = try VectorBlob.decode(data) }
        return result
    }

    public func productIDs(withModelOtherThan model: String?) throws(StoreError) -> [String] {
        try read { db in
            guard let model else { return try String.fetchAll(db, sql: "SELECT product_id FROM product ORDER BY id") }
            return try String.fetchAll(db, sql: "SELECT product_id FROM product WHERE model <> ? ORDER BY id", arguments: [model])
        }
    }

    /// Copies the WAL back into the database file without blocking writers
    /// (a PASSIVE checkpoint, from a connection of its own).
    public func checkpoint() throws(StoreError) {
        do {
            let connection = try DatabaseQueue(path: path)
            try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        } catch {
            throw StoreError(.failed, "checkpointing \(path) failed: \(error)")
        }
    }

    /// Changes whenever any process writes or deletes a product (for caches).
    public func version() throws(StoreError) -> StoreVersion {
        try read { db in
            StoreVersion(sequence: try Int64.fetchOne(db, sql: "SELECT value FROM write_sequence") ?? 0,
                         count: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM product") ?? 0)
        }
    }

    // MARK: - Internals

    static func column(_ kind: VectorKind) -> String {
        switch kind {
        case .fused: return "fused"
        case .text: return "(CASE WHEN length(text_vector) = 0 THEN fused ELSE text_vector END)"
        case .image: return "image_vector"
        }
    }

    static func record(_ row: Row) throws(StoreError) -> ProductRecord {
        let fused: Data = row["fused"], text: Data = row["text_vector"]
        let image: Data? = row["image_vector"]
        return ProductRecord(
            productID: row["product_id"], name: row["name"], description: row["description"], metadata: row["metadata"],
            textDigest: row["text_digest"], imageDigest: row["image_digest"], imagePath: row["image_path"],
            imageWidth: row["image_width"],
            imageHeight: row["image_height"], model: row["model"], fused: try VectorBlob.decode(fused),
            image: try image.map { (data) throws(StoreError) in try VectorBlob.decode(data) },
            text: text.isEmpty ? try VectorBlob.decode(fused) : try VectorBlob.decode(text), createdAt: row["created_at"], updatedAt: row["updated_at"],
            sequence: row["applied_seq"])
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch let error as StoreError { throw error } catch {
            throw StoreError(.failed, "reading \(path) failed: \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let error as StoreError { throw error } catch {
            throw StoreError(.failed, "writing \(path) failed: \(error)")
        }
    }
}
