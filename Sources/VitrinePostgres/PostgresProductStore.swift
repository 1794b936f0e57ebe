import Foundation
import NIOCore
import PostgresNIO
import VitrineStore

/// ``ProductStore`` and ``ChangeFeed`` on a ``PostgresBackend``: the same semantics as the
/// SQLite store, so that API nodes and workers on many hosts share one catalogue.
public final class PostgresProductStore: ProductStore, ChangeFeed {
    /// The database it reads and writes.
    public let backend: PostgresBackend
    /// Rows read per round trip when streaming.
    private let pageSize = 2_000

    /// The store of an open backend.
    public init(backend: PostgresBackend) {
        self.backend = backend
    }

    public func upsert(_ products: [ProductRecord]) throws(StoreError) {
        guard !products.isEmpty else { return }
        // One statement, its own transaction: one round trip for the whole batch.
        _ = try backend.session { session in try PostgresRows.upsert(products.map { ($0, nil) }, in: session) }
    }

    public func product(id: String) throws(StoreError) -> ProductRecord? {
        try backend.session { session in
            try session.query(PostgresQuery(unsafeSQL: "SELECT \(PostgresRows.productColumns) FROM product WHERE product_id = $1",
                                            binds: Self.binds(id))).first.map(PostgresRows.record)
        }
    }

    public func thumbnail(productID: String) throws(StoreError) -> StoredThumbnail? {
        try backend.session { session in
            try session.query("""
                SELECT thumbnail.jpeg, product.image_digest FROM thumbnail JOIN product ON product.id = thumbnail.product
                WHERE product.product_id = \(productID)
                """).first.map { row in
                let (jpeg, digest) = try row.decode((ByteBuffer, String?).self)
                return StoredThumbnail(jpeg: Array(jpeg.readableBytesView), imageDigest: digest)
            }
        }
    }

    public func delete(id: String) throws(StoreError) -> Bool {
        try backend.write { session, order in try PostgresRows.delete(id, in: session, order: &order) }
    }

    public func tombstone(productID: String) throws(StoreError) -> Int64? {
        try backend.session { session in
            try session.query("SELECT seq FROM tombstone WHERE product_id = \(productID)").first?.decode(Int64.self)
        }
    }

    public func originalImage(digest: String) throws(StoreError) -> Data? {
        try backend.session { session in
            try session.query("SELECT bytes FROM original WHERE digest = \(digest)").first
                .map { Data(try $0.decode(ByteBuffer.self).readableBytesView) }
        }
    }

    public func products(ids: [String]) throws(StoreError) -> [String: ProductRecord] {
        guard !ids.isEmpty else { return [:] }
        return try backend.session { session in
            var result: [String: ProductRecord] = [:]
            for row in try session.query(PostgresQuery(unsafeSQL: "SELECT \(PostgresRows.productColumns) FROM product WHERE product_id = ANY($1)",
                                                       binds: Self.binds(ids))) {
                let record = try PostgresRows.record(row)
                result[record.productID] = record
            }
            return result
        }
    }

    public func replace(_ products: [ProductRecord]) throws(StoreError) -> [Bool] {
        guard !products.isEmpty else { return [] }
        return try backend.write { session, order in
            var current: [String: Int64] = [:]
            for row in try session.query("SELECT product_id, applied_seq FROM product WHERE product_id = ANY(\(products.map(\.productID)))") {
                let (id, sequence) = try row.decode((String, Int64).self)
                current[id] = sequence
            }
            // Written or deleted meanwhile: that write stands.
            let written = products.map { product in product.sequence != nil && current[product.productID] == product.sequence }
            let writes = zip(products, written).filter(\.1).map { ($0.0, $0.0.sequence) }
            try PostgresRows.upsert(writes, in: session, order: &order)
            return written
        }
    }

    public func count() throws(StoreError) -> Int {
        try backend.session { session in try session.query("SELECT COUNT(*) FROM product").first?.decode(Int.self) ?? 0 }
    }

    public func fingerprints(for ids: [String]) throws(StoreError) -> [String: ProductFingerprint] {
        guard !ids.isEmpty else { return [:] }
        return try backend.session { session in
            var result: [String: ProductFingerprint] = [:]
            for row in try session.query("SELECT product_id, text_digest, image_digest, model FROM product WHERE product_id = ANY(\(ids))") {
                let (id, text, image, model) = try row.decode((String, String, String?, String).self)
                result[id] = ProductFingerprint(textDigest: text, imageDigest: image, model: model)
            }
            return result
        }
    }

    public func stats() throws(StoreError) -> StoreStats {
        try backend.read { session in
            let (products, withImage) = try session.query("""
                SELECT COUNT(*), COUNT(image_vector) FROM product
                """).first?.decode((Int, Int).self) ?? (0, 0)
            var models: [String: Int] = [:]
            for row in try session.query("SELECT model, COUNT(*) FROM product GROUP BY model") {
                let (model, count) = try row.decode((String, Int).self)
                models[model] = count
            }
            let (originals, originalBytes, size) = try session.query("""
                SELECT COUNT(*), COALESCE(SUM(length(bytes)), 0)::int8, pg_database_size(current_database()) FROM original
                """).first?.decode((Int, Int, Int).self) ?? (0, 0, 0)
            return StoreStats(products: products, withImage: withImage, models: models, bytes: size,
                              originals: originals, originalBytes: originalBytes)
        }
    }

    public func forEachVector(_ kind: VectorKind, _ body: (StoredVector) throws -> Void) throws {
        let column = PostgresRows.column(kind)
        try backend.read { session in
            try pages(session, sql: "SELECT id, product_id, name, model, \(column) FROM product WHERE \(column) IS NOT NULL") { row in
                let (rowID, id, name, model, vector) = try row.decode((Int64, String, String, String, ByteBuffer).self)
                try body(StoredVector(rowID: rowID, productID: id, name: name, model: model, vector: try PostgresRows.vector(vector)))
                return rowID
            }
        }
    }

    public func vectors(_ kind: VectorKind, rowIDs: [Int64]) throws(StoreError) -> [Int64: StoredVector] {
        guard !rowIDs.isEmpty else { return [:] }
        let column = PostgresRows.column(kind)
        return try backend.session { session in
            var result: [Int64: StoredVector] = [:]
            for row in try session.query(PostgresQuery(unsafeSQL: """
                SELECT id, product_id, name, model, \(column) FROM product WHERE id = ANY($1) AND \(column) IS NOT NULL
                """, binds: Self.binds(rowIDs))) {
                let (rowID, id, name, model, vector) = try row.decode((Int64, String, String, String, ByteBuffer).self)
                result[rowID] = StoredVector(rowID: rowID, productID: id, name: name, model: model, vector: try PostgresRows.vector(vector))
            }
            return result
        }
    }

    /// PostgreSQL needs no checkpoint from its clients.
    public func checkpoint() throws(StoreError) {}

    public func productIDs(withModelOtherThan model: String?) throws(StoreError) -> [String] {
        try backend.session { session in
            let rows = if let model {
                try session.query("SELECT product_id FROM product WHERE model <> \(model) ORDER BY id")
            } else {
                try session.query("SELECT product_id FROM product ORDER BY id")
            }
            return try rows.map { try $0.decode(String.self) }
        }
    }

    // MARK: - Change feed

    public func position() throws(StoreError) -> Int64 {
        try backend.session { session in try session.query("SELECT head FROM vitrine_feed WHERE id = 1").first?.decode(Int64.self) ?? 0 }
    }

    public func identity() throws(StoreError) -> String {
        try backend.session { session in try session.query("SELECT database_id FROM vitrine_feed WHERE id = 1").first?.decode(String.self) ?? "" }
    }

    public func changes(after position: Int64, kind: VectorKind, limit: Int) throws(StoreError) -> FeedPage {
        let column = PostgresRows.column(kind), limit = max(1, limit)
        // One statement, so one snapshot: the rows, the tombstones, the head and the floor. Write
        // transactions commit in the order of their numbers (they hold the write order's lock), so
        // nothing at or below the committed head can still appear.
        let rows = try backend.session { session in
            try session.query(PostgresQuery(unsafeSQL: """
                SELECT 0, f.head, f.floor, '', NULL::text, NULL::text, NULL::bytea FROM vitrine_feed f WHERE f.id = 1
                UNION ALL
                (SELECT 1, change_seq, id, product_id, model, metadata, \(column) FROM product
                 WHERE change_seq > $1 ORDER BY change_seq LIMIT $2)
                UNION ALL
                (SELECT 2, change_seq, 0, product_id, NULL, NULL, NULL FROM tombstone
                 WHERE change_seq > $1 ORDER BY change_seq LIMIT $2)
                """, binds: Self.binds(position, limit)))
        }
        var head: Int64 = 0, floor: Int64 = 0
        var products: [FeedChange] = [], tombstones: [FeedChange] = []
        do {
            for row in rows {
                let (source, number, rowID, productID, model, metadata, vector) = try row.decode(
                    (Int, Int64, Int64, String, String?, String?, ByteBuffer?).self)
                switch source {
                case 0: (head, floor) = (number, rowID)
                case 1:
                    let entry = try vector.map {
                        FeedEntry(rowID: rowID, model: model ?? "", vector: try PostgresRows.vector($0),
                                  attributes: ProductAttributes(metadata: metadata ?? ""))
                    }
                    products.append(FeedChange(position: number, productID: productID, entry: entry))
                default: tombstones.append(FeedChange(position: number, productID: productID, entry: nil))
                }
            }
        } catch {
            throw ConnectionPool.storeError(error, url: backend.url)
        }
        if position < floor { return FeedPage(changes: [], position: position, startsOver: true) }
        // Both ranges come sorted from their indexes (a UNION keeps no order): sort and merge.
        products.sort { $0.position < $1.position }
        tombstones.sort { $0.position < $1.position }
        var changes = (products + tombstones).sorted { $0.position < $1.position }
        let complete = changes.count < limit
        if changes.count > limit { changes.removeLast(changes.count - limit) }
        return FeedPage(changes: changes, position: complete ? max(head, changes.last?.position ?? position)
                                                             : changes.last?.position ?? position)
    }

    public func currentProducts(_ kind: VectorKind, _ body: (FeedChange) throws -> Void) throws -> Int64 {
        let column = PostgresRows.column(kind)
        // One REPEATABLE READ transaction: the rows and the position are of one snapshot.
        return try backend.read { session in
            let position = try session.query("SELECT head FROM vitrine_feed WHERE id = 1").first?.decode(Int64.self) ?? 0
            try pages(session, sql: "SELECT id, product_id, model, change_seq, metadata, \(column) FROM product WHERE \(column) IS NOT NULL") { row in
                let (rowID, id, model, change, metadata, vector) = try row.decode((Int64, String, String, Int64, String, ByteBuffer).self)
                try body(FeedChange(position: change, productID: id,
                                    entry: FeedEntry(rowID: rowID, model: model, vector: try PostgresRows.vector(vector),
                                                     attributes: ProductAttributes(metadata: metadata))))
                return rowID
            }
            return position
        }
    }

    public func lexicalMatches(_ query: LexicalQuery, among rowIDs: [Int64]?, limit: Int) throws(StoreError) -> [LexicalMatch] {
        guard !query.isEmpty, limit > 0, rowIDs.map({ !$0.isEmpty }) ?? true else { return [] }
        let cap = LexicalQuery.commonWordProducts
        if query.phraseOnly, let rowIDs {
            // A phrase among given rows: checked on their text (see LexicalQuery.isPhrase).
            let rows = try backend.session { session in
                try session.query("SELECT id, product_id, name, description, metadata FROM product WHERE id = ANY(\(rowIDs))")
            }
            do {
                var matches: [LexicalMatch] = []
                for row in rows {
                    let (id, productID, name, description, metadata) = try row.decode((Int64, String, String, String, String).self)
                    if query.isPhrase(in: [name, description, metadata]) { matches.append(LexicalMatch(rowID: id, productID: productID, score: 1)) }
                }
                return Array(matches.prefix(limit))
            } catch {
                throw ConnectionPool.storeError(error, url: backend.url)
            }
        }
        let rows = try backend.session { session -> [PostgresRow] in
            // How many products hold each word: a count of the GIN index's matches, stopped past the cap.
            var documents: [String: Int] = [:]
            if !query.phraseOnly && rowIDs == nil {
                for word in Set(query.words) {
                    documents[word] = try session.query("""
                        SELECT count(*)::int8 FROM (SELECT 1 FROM product WHERE lexical @@ to_tsquery('simple', \("'\(word)'")) LIMIT \(cap + 1)) s
                        """).first?.decode(Int.self) ?? 0
                }
            }
            let plan = query.plan(documents)
            // ts_rank with length normalisation 1 (divided by 1 + the log of the document's length).
            if let rowIDs {
                return try session.query("""
                    SELECT id, product_id, ts_rank(lexical, q, 1)::float8 FROM product, to_tsquery('simple', \(plan.tsquery)) q
                    WHERE lexical @@ q AND id = ANY(\(rowIDs)) ORDER BY 3 DESC, id LIMIT \(limit)
                    """)
            }
            if plan.scoredInRowOrder {
                // Common words only: the first matches in row order are scored (a bounded cost), then ranked.
                return try session.query("""
                    SELECT id, product_id, score FROM (
                        SELECT id, product_id, ts_rank(lexical, q, 1)::float8 AS score FROM product, to_tsquery('simple', \(plan.tsquery)) q
                        WHERE lexical @@ q LIMIT \(cap)) s
                    ORDER BY score DESC, id LIMIT \(limit)
                    """)
            }
            return try session.query("""
                SELECT id, product_id, ts_rank(lexical, q, 1)::float8 FROM product, to_tsquery('simple', \(plan.tsquery)) q
                WHERE lexical @@ q ORDER BY 3 DESC, id LIMIT \(limit)
                """)
        }
        do {
            return try rows.map { row in
                let (id, productID, score) = try row.decode((Int64, String, Double).self)
                return LexicalMatch(rowID: id, productID: productID, score: score)
            }
        } catch {
            throw ConnectionPool.storeError(error, url: backend.url)
        }
    }

    // MARK: - Internals

    /// Streams the rows of `sql` (a SELECT whose first column is `id`, with a WHERE clause) in row
    /// order, a page at a time, so no more than a page is held at once.
    private func pages(_ session: Session, sql: String, _ body: (PostgresRow) throws -> Int64) throws {
        var after: Int64 = 0
        while true {
            let rows = try session.query(PostgresQuery(unsafeSQL: "\(sql) AND id > $1 ORDER BY id LIMIT $2",
                                                       binds: Self.binds(after, pageSize)))
            for row in rows { after = try body(row) }
            if rows.count < pageSize { return }
        }
    }

    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}
