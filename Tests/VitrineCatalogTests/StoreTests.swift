import Dispatch
import Foundation
import GRDB
import Testing
import VitrineCatalog
@testable import VitrineStore

/// The SQLite store on temporary databases.
@Suite("SQLite store")
struct StoreTests {
    @Test("migrations run from an empty file, and again on an existing one without change")
    func migrations() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let queue = try DatabaseQueue(path: store.path)
        let applied = try queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1: products", "v2: jobs and write order", "v3: jobs claimed in order from an index", "v4: thumbnails",
                           "v5: originals kept, tombstones, fenced claims", "v6: change feed", "v7: full-text index"])
        let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        _ = try SQLiteProductStore(path: store.path) // reopening migrates nothing new
        #expect(try store.count() == 0)
    }

    @Test("v5 moves a v4 database's pending uploads into the kept originals, and its jobs still run")
    func migrationFromV4() throws {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("v4.sqlite").path
        let old = try DatabasePool(path: path)
        try SQLiteDatabase.migrator.migrate(old, upTo: "v4: thumbnails")
        let photo = JobQueueTests.photo, digest = Digest.sha256(photo)
        try old.write { db in
            try db.execute(sql: "INSERT INTO upload (id, bytes, digest) VALUES (1, ?, ?)", arguments: [photo, digest])
            try db.execute(sql: """
                INSERT INTO job (id, seq, product_id, name, upload_id, status, attempts, max_attempts, available_at, created_at)
                VALUES ('j1', 1, 'm1', 'Mug', 1, 'queued', 0, 3, 0, 0)
                """)
            try db.execute(sql: "UPDATE write_sequence SET value = 1")
        }
        try old.close()
        let store = try SQLiteProductStore(path: path)
        #expect(try store.originalImage(digest: digest) == photo)
        let queue = SQLiteJobQueue(store: store)
        let claimed = try #require(try queue.claim(workerID: "w", lease: 10))
        #expect(claimed.job.id == "j1" && claimed.image == photo && claimed.imageDigest == digest)
    }

    @Test("v7 fills the full-text index with a v6 database's products, folded")
    func migrationFromV6() throws {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("v6.sqlite").path
        let old = try DatabasePool(path: path)
        try SQLiteDatabase.migrator.migrate(old, upTo: "v6: change feed")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO product (product_id, name, description, metadata, text_digest, model, fused, text_vector,
                                     created_at, updated_at, applied_seq, change_seq)
                VALUES ('c1', 'Crème hydratante', 'Peaux sèches', '{"sku": "CR-9"}', 't', 'm', x'', x'', 0, 0, 1, 1)
                """)
        }
        try old.close()
        let store = try SQLiteProductStore(path: path)
        #expect(try store.lexicalMatches(LexicalQuery("CREME"), among: nil, limit: 3).map(\.productID) == ["c1"])
        #expect(try store.lexicalMatches(LexicalQuery("cr-9"), among: nil, limit: 3).map(\.productID) == ["c1"])
    }

    @Test("upsert, get, replace (keeping the creation time), delete")
    func roundTrip() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        var first = TestCatalog.record("a1", name: "Lampe")
        first.image = first.fused
        first.imageDigest = "abc"
        first.imagePath = "/x/a1.jpg"
        first.imageWidth = 800
        first.imageHeight = 600
        try store.upsert([first, TestCatalog.record("a2")])
        #expect(try store.count() == 2)
        let stored = try #require(try store.product(id: "a1"))
        #expect(stored.name == "Lampe" && stored.metadata == "{\"a\": 1}")
        #expect(stored.fused == first.fused && stored.image == first.fused && stored.text == first.text)
        #expect(stored.imageWidth == 800 && stored.imageHeight == 600 && stored.imagePath == "/x/a1.jpg")
        let created = try #require(stored.createdAt)

        Thread.sleep(forTimeInterval: 0.02)
        try store.upsert([TestCatalog.record("a1", name: "Lampe à poser", seed: 2)])
        let replaced = try #require(try store.product(id: "a1"))
        #expect(replaced.name == "Lampe à poser" && replaced.image == nil)
        #expect(replaced.createdAt == created)
        #expect(replaced.updatedAt! > created)
        #expect(try store.count() == 2)

        #expect(try store.delete(id: "a1"))
        #expect(try !store.delete(id: "a1"))
        #expect(try store.product(id: "a1") == nil)
    }

    @Test("a product without an image keeps one vector for text and fused; one with an image keeps three")
    func textVectorStoredOnce() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        var photo = TestCatalog.record("photo", seed: 3)
        photo.image = TestCatalog.record("x", seed: 4).fused
        photo.text = TestCatalog.record("x", seed: 5).fused
        try store.upsert([TestCatalog.record("words", seed: 2), photo])
        let queue = try DatabaseQueue(path: store.path)
        let lengths = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT product_id, length(text_vector) AS n FROM product ORDER BY product_id")
                .map { "\($0["product_id"] as String)=\($0["n"] as Int)" }
        }
        #expect(lengths == ["photo=2048", "words=0"])
        let words = try #require(try store.product(id: "words")), stored = try #require(try store.product(id: "photo"))
        #expect(words.text == words.fused && words.text == TestCatalog.record("words", seed: 2).text)
        #expect(stored.text == photo.text && stored.fused == photo.fused && stored.image == photo.image)
        var texts: [String: [Float]] = [:]
        try store.forEachVector(.text) { texts[$0.productID] = $0.vector }
        #expect(texts == ["words": words.fused, "photo": photo.text])
        let rows = try queue.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM product ORDER BY product_id") }
        let exact = try store.vectors(.text, rowIDs: rows)
        #expect(exact[rows[0]]?.vector == photo.text && exact[rows[1]]?.vector == words.fused)
    }

    @Test("timestamps are written in GRDB's own text form, to the millisecond")
    func timestamps() throws {
        var generator = SystemRandomNumberGenerator()
        for seconds in [0, 1, 951_782_400.999, 1_700_000_000.0005, 4_102_444_799.9999] + (0..<2_000).map({ _ in Double.random(in: 0..<4e9, using: &generator) }) {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.text(date) == String.fromDatabaseValue(date.databaseValue), "\(seconds)")
        }
    }

    @Test("fingerprints, streaming vectors, exact vectors by row, stale models, stats")
    func queries() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let records = (0..<1_200).map { TestCatalog.record("p\($0)", seed: Float($0 + 1), model: $0 % 100 == 0 ? "old@0" : "vitrine-clip@1") }
        try store.upsert(records)
        let prints = try store.fingerprints(for: records.map(\.productID) + ["missing"])
        #expect(prints.count == 1_200)
        #expect(prints["p5"] == records[5].fingerprint)
        var streamed: [StoredVector] = []
        try store.forEachVector(.fused) { streamed.append($0) }
        #expect(streamed.map(\.productID) == records.map(\.productID))
        var images = 0
        try store.forEachVector(.image) { _ in images += 1 }
        #expect(images == 0)
        let exact = try store.vectors(.text, rowIDs: [streamed[3].rowID, streamed[900].rowID])
        #expect(exact[streamed[900].rowID]?.vector == records[900].text)
        #expect(try store.productIDs(withModelOtherThan: "vitrine-clip@1") == (0..<12).map { "p\($0 * 100)" })
        let stats = try store.stats()
        #expect(stats.products == 1_200 && stats.withImage == 0 && stats.models["old@0"] == 12 && stats.bytes > 0)
    }

    @Test("a batch is all or nothing")
    func atomicBatch() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert([TestCatalog.record("keep")])
        // A second store on the same file holds the write lock: the first one's write waits, then fails whole.
        let other = try SQLiteProductStore(path: store.path, busyTimeout: 0.2)
        let blocker = try DatabaseQueue(path: store.path)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let thread = Thread {
            try? blocker.write { db in // an IMMEDIATE transaction: it holds the write lock until it returns
                try db.execute(sql: "DELETE FROM product WHERE product_id = 'nothing'")
                holding.signal()
                release.wait()
            }
        }
        thread.start()
        holding.wait()
        #expect(throws: StoreError.self) { try other.upsert([TestCatalog.record("x1"), TestCatalog.record("x2")]) }
        release.signal()
        #expect(try store.count() == 1)
        try other.upsert([TestCatalog.record("x1"), TestCatalog.record("x2")])
        #expect(try store.count() == 3, "another connection's writes are seen at once")
    }

    @Test("with automatic checkpoints off, checkpoint() moves the WAL into the database file")
    func checkpoints() throws {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sqlite").path
        let store = try SQLiteProductStore(path: path, automaticCheckpoints: false)
        try store.upsert((0..<1_500).map { TestCatalog.record("c\($0)", seed: Float($0)) })
        func size(_ file: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
        let before = size(path)
        #expect(size(path + "-wal") > 4_000_000, "nothing was checkpointed on the way")
        try store.checkpoint()
        #expect(size(path) > before + 4_000_000)
        #expect(try SQLiteProductStore(path: path).count() == 1_500)
    }

    @Test("vector blobs are 4 bytes a value and refuse a broken length")
    func blobs() throws {
        let vector: [Float] = [1, -0.5, 0.25, .pi]
        #expect(VectorBlob.encode(vector).count == 16)
        #expect(try VectorBlob.decode(VectorBlob.encode(vector)) == vector)
        #expect(throws: StoreError.self) { try VectorBlob.decode(Data([1, 2, 3])) }
    }
}
