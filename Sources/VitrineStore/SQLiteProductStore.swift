import Foundation
import GRDB

/// ``ProductStore`` and ``ChangeFeed`` on a ``SQLiteDatabase`` (the system's
/// libsqlite3 through GRDB). See README.md in this folder for the schema.
public final class SQLiteProductStore: ProductStore, ChangeFeed {
    /// The database it reads and writes.
    public let database: SQLiteDatabase
    /// The database file's path.
    public var path: String { database.path }

    /// The store of an open database.
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens (creating and migrating if needed) the database at `path`; see ``SQLiteDatabase/init(path:busyTimeout:automaticCheckpoints:)``.
    public convenience init(path: String, busyTimeout: TimeInterval = 10, automaticCheckpoints: Bool = true) throws(StoreError) {
        self.init(database: try SQLiteDatabase(path: path, busyTimeout: busyTimeout, automaticCheckpoints: automaticCheckpoints))
    }

    public func upsert(_ products: [ProductRecord]) throws(StoreError) {
        guard !products.isEmpty else { return }
        try write { db in
            for product in products { try ProductRows.upsert(product, sequence: nil, in: db) }
        }
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
        try write { db in try ProductRows.delete(id, in: db) }
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
            try Self.rows(db, ids) { "SELECT * FROM product WHERE product_id IN (\($0))" }
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
                try ProductRows.upsert(product, sequence: sequence, in: db)
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
        try database.pool.read { db in
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

    public func vectors(_ kind: VectorKind, rowIDs: [Int64]) throws(StoreError) -> [Int64: StoredVector] {
        guard !rowIDs.isEmpty else { return [:] }
        let column = Self.column(kind)
        let rows = try read { db in
            try Self.rows(db, rowIDs) {
                "SELECT id, product_id, name, model, \(column) AS vector FROM product WHERE id IN (\($0)) AND \(column) IS NOT NULL"
            }
        }
        var result: [Int64: StoredVector] = [:]
        for row in rows {
            let data: Data = row["vector"]
            result[row["id"]] = StoredVector(rowID: row["id"], productID: row["product_id"], name: row["name"],
                                             model: row["model"], vector: try VectorBlob.decode(data))
        }
        return result
    }

    public func productIDs(withModelOtherThan model: String?) throws(StoreError) -> [String] {
        try read { db in
            guard let model else { return try String.fetchAll(db, sql: "SELECT product_id FROM product ORDER BY id") }
            return try String.fetchAll(db, sql: "SELECT product_id FROM product WHERE model <> ? ORDER BY id", arguments: [model])
        }
    }

    public func checkpoint() throws(StoreError) {
        try database.checkpoint()
    }

    // MARK: - Change feed

    public func position() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM write_sequence")) ?? 0 }
    }

    public func identity() throws(StoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT database_id FROM feed") ?? "" }
    }

    public func changes(after position: Int64, kind: VectorKind, limit: Int) throws(StoreError) -> FeedPage {
        let column = Self.column(kind), limit = max(1, limit)
        // One read transaction: the rows, the tombstones and the floor are of one snapshot. The two
        // ranges come from their own indexes, already in order, and are merged here.
        let (rows, tombstones, floor, head) = try read { db in
            let floor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT floor FROM feed")) ?? 0
            let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM write_sequence")) ?? 0
            guard position >= floor else { return ([Row](), [Row](), floor, head) }
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT change_seq, id, product_id, model, metadata, \(column) AS vector FROM product
                WHERE change_seq > ? ORDER BY change_seq LIMIT ?
                """), arguments: [position, limit])
            let tombstones = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT change_seq, product_id FROM tombstone WHERE change_seq > ? ORDER BY change_seq LIMIT ?
                """), arguments: [position, limit])
            return (rows, tombstones, floor, head)
        }
        if position < floor { return FeedPage(changes: [], position: position, startsOver: true) }
        var changes: [FeedChange] = []
        changes.reserveCapacity(min(limit, rows.count + tombstones.count))
        var r = 0, t = 0
        while changes.count < limit && (r < rows.count || t < tombstones.count) {
            let rowNext: Int64? = r < rows.count ? rows[r]["change_seq"] : nil
            let tombNext: Int64? = t < tombstones.count ? tombstones[t]["change_seq"] : nil
            if let rowNext, tombNext.map({ rowNext < $0 }) ?? true {
                let row = rows[r]
                r += 1
                let data: Data? = row["vector"]
                let entry = try data.map { (data) throws(StoreError) in
                    FeedEntry(rowID: row["id"], model: row["model"], vector: try VectorBlob.decode(data),
                              attributes: ProductAttributes(metadata: row["metadata"]))
                }
                changes.append(FeedChange(position: rowNext, productID: row["product_id"], entry: entry))
            } else if let tombNext {
                changes.append(FeedChange(position: tombNext, productID: tombstones[t]["product_id"], entry: nil))
                t += 1
            }
        }
        // A short page read everything up to the snapshot's last write number: numbers are taken
        // inside write transactions, one writer at a time, so none below it can still appear.
        // (Write numbers of jobs, which change no product, are passed over so.)
        let complete = changes.count < limit && r == rows.count && t == tombstones.count
        return FeedPage(changes: changes, position: complete ? max(head, changes.last?.position ?? position) : changes.last?.position ?? position)
    }

    public func currentProducts(_ kind: VectorKind, _ body: (FeedChange) throws -> Void) throws -> Int64 {
        let column = Self.column(kind)
        // One read transaction: the rows and the position are of one snapshot; rows stream in row order.
        return try database.pool.read { db in
            let position = try Int64.fetchOne(db, sql: "SELECT value FROM write_sequence") ?? 0
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, product_id, model, change_seq, metadata, \(column) AS vector FROM product
                WHERE \(column) IS NOT NULL ORDER BY id
                """)
            while let row = try rows.next() {
                let data: Data = row["vector"]
                try body(FeedChange(position: row["change_seq"], productID: row["product_id"],
                                    entry: FeedEntry(rowID: row["id"], model: row["model"], vector: try VectorBlob.decode(data),
                                                     attributes: ProductAttributes(metadata: row["metadata"]))))
            }
            return position
        }
    }

    public func lexicalMatches(_ query: LexicalQuery, among rowIDs: [Int64]?, limit: Int) throws(StoreError) -> [LexicalMatch] {
        guard !query.isEmpty, limit > 0, rowIDs.map({ !$0.isEmpty }) ?? true else { return [] }
        if query.phraseOnly, let rowIDs {
            // A phrase among given rows: checked on their text (see LexicalQuery.isPhrase).
            let rows = try read { db in
                try Self.rows(db, rowIDs) { "SELECT id, product_id, name, description, metadata FROM product WHERE id IN (\($0))" }
            }
            return Array(rows.filter { query.isPhrase(in: [$0["name"], $0["description"], $0["metadata"]]) }
                .map { LexicalMatch(rowID: $0["id"], productID: $0["product_id"], score: 1) }.prefix(limit))
        }
        return try read { db in
            // How many products hold each word: its matches counted, stopped past the cap (a common
            // word's whole list would cost as much as ranking it).
            var documents: [String: Int] = [:]
            if !query.phraseOnly {
                for word in Set(query.words) {
                    documents[word] = try Int.fetchOne(db.cachedStatement(sql: """
                        SELECT count(*) FROM (SELECT 1 FROM product_text WHERE product_text MATCH ? LIMIT ?)
                        """), arguments: ["\"\(word)\"", LexicalQuery.commonWordProducts + 1]) ?? 0
                }
            }
            let plan = query.plan(documents)
            // BM25 with the name weighing 4 times the description and metadata; negated, so higher is
            // better. Never with a rowid constraint: FTS5 then costs seconds (its statistics are
            // gathered again per row); among given rows, the best matches are read and kept here.
            let cap = LexicalQuery.commonWordProducts
            let read = plan.scoredInRowOrder || rowIDs != nil ? cap : limit
            let sql = """
                SELECT rowid AS id, -bm25(product_text, 4.0, 1.0, 1.0) AS score FROM product_text WHERE product_text MATCH ?
                """ + (plan.scoredInRowOrder ? " LIMIT ?" : " ORDER BY bm25(product_text, 4.0, 1.0, 1.0) LIMIT ?")
            var scored = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [plan.fts5, read])
                .map { (id: $0["id"] as Int64, score: $0["score"] as Double) }
            if let rowIDs {
                let among = Set(rowIDs)
                scored = scored.filter { among.contains($0.id) }
            }
            // Common words only: the first matches in row order were scored (a bounded cost): ranked here.
            if plan.scoredInRowOrder { scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) } }
            scored = Array(scored.prefix(limit))
            // Their product ids, in one lookup.
            var ids: [Int64: String] = [:]
            for row in try Self.rows(db, scored.map(\.id), { "SELECT id, product_id FROM product WHERE id IN (\($0))" }) {
                ids[row["id"]] = row["product_id"]
            }
            return scored.compactMap { match in ids[match.id].map { LexicalMatch(rowID: match.id, productID: $0, score: match.score) } }
        }
    }

    // MARK: - Internals

    /// The rows of `sql` (given the placeholders of an `IN` list) for `values`, 500 at a time (well
    /// below SQLite's limit of bound parameters).
    static func rows<Value: DatabaseValueConvertible>(_ db: Database, _ values: [Value], _ sql: (String) -> String) throws -> [Row] {
        var rows: [Row] = []
        for start in stride(from: 0, to: values.count, by: 500) {
            let slice = Array(values[start..<min(start + 500, values.count)])
            rows += try Row.fetchAll(db, sql: sql(Array(repeating: "?", count: slice.count).joined(separator: ",")),
                                     arguments: StatementArguments(slice))
        }
        return rows
    }

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

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T { try database.read(body) }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T { try database.write(body) }
}
