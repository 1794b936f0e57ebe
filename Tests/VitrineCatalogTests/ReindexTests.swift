import Foundation
import GRDB
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// `reindex` re-embeds from what each product was indexed with, and never strips an image.
@Suite("Reindex")
struct ReindexTests {
    /// A store with an uploaded product (u1), a catalogue product with an image file (c1) and a text-only one (t1).
    static func catalogue() async throws -> (SQLiteProductStore, SQLiteJobQueue, URL, imageFile: URL) {
        let (store, queue, folder) = try JobQueueTests.queue()
        _ = try JobQueueTests.enqueue(queue, "u1", name: "Mug téléversé")
        let worker = JobWorker(queue: queue, model: TestCatalog.model, workerID: "w")
        while try await worker.runOnce() {}
        #expect(try queue.purge(finishedBefore: Date().addingTimeInterval(3600)).jobs == 1, "the upload's job is gone")
        let file = folder.appendingPathComponent("c1.jpg")
        try FileManager.default.copyItem(at: Repository.fixtures.appendingPathComponent("products/images/p09.jpg"), to: file)
        let csv = folder.appendingPathComponent("catalog.csv")
        try "product_id,name,image\nc1,Lampe,c1.jpg\nt1,Texte seul,\n".write(to: csv, atomically: true, encoding: .utf8)
        _ = try CatalogIndexer(store: store, model: TestCatalog.model).index(catalogPath: csv.path)
        return (store, queue, folder, file)
    }

    /// Marks every product as made by model version 2, as moving to version 3 leaves them.
    static func age(_ store: SQLiteProductStore) throws {
        try DatabaseQueue(path: store.path).write { db in try db.execute(sql: "UPDATE product SET model = 'vitrine-clip@2'") }
    }

    @Test("reindex after a model change and reindex --all keep every image vector and thumbnail, uploads included")
    func keepsImages() async throws {
        let (store, _, folder, _) = try await Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = try store.products(ids: ["u1", "c1", "t1"])
        let indexer = CatalogIndexer(store: store, model: TestCatalog.model, jobs: 2)
        #expect(try indexer.reindex().rows == 0, "nothing of another model")
        try Self.age(store)
        let summary = try indexer.reindex()
        #expect(summary.indexed == 3 && summary.failed == 0)
        let all = try indexer.reindex(all: true)
        #expect(all.indexed == 3 && all.failed == 0)
        let after = try store.products(ids: ["u1", "c1", "t1"])
        for id in ["u1", "c1"] {
            let old = try #require(before[id]), new = try #require(after[id])
            #expect(new.image != nil && new.image == old.image && new.fused == old.fused, "\(id) keeps its image vector")
            #expect(new.model == ModelSpec.id && new.imageDigest == old.imageDigest && new.sequence == old.sequence)
            #expect(try store.thumbnail(productID: id) != nil, "\(id) keeps its thumbnail")
        }
        #expect(after["t1"]?.image == nil && after["t1"]?.fused == before["t1"]?.fused)
    }

    @Test("a product whose file is gone or changed, or whose upload is not kept, is reported by id and left as it was")
    func reportsAndLeaves() async throws {
        let (store, _, folder, file) = try await Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.age(store)
        let before = try store.products(ids: ["u1", "c1", "t1"])
        let thumbnails = try ["u1", "c1"].map { try store.thumbnail(productID: $0) }
        try await DatabaseQueue(path: store.path).write { db in try db.execute(sql: "DELETE FROM original") }
        try Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/p10.jpg")).write(to: file)
        var reported: [RowFailure] = []
        let summary = try CatalogIndexer(store: store, model: TestCatalog.model).reindex(onFailure: { reported.append($0) })
        #expect(summary.failed == 2 && summary.indexed == 1, "only the text-only product is re-embedded")
        let codes = Dictionary(uniqueKeysWithValues: reported.map { ($0.productID ?? "", $0.code) })
        #expect(codes == ["u1": "image_not_kept", "c1": "image_changed"])
        #expect(reported.allSatisfy { $0.reason.contains("left as it was") })
        try FileManager.default.removeItem(at: file)
        reported = []
        _ = try CatalogIndexer(store: store, model: TestCatalog.model).reindex(onFailure: { reported.append($0) })
        #expect(reported.first { $0.productID == "c1" }?.code == "image_missing")
        let after = try store.products(ids: ["u1", "c1"])
        #expect(after["u1"] == before["u1"] && after["c1"] == before["c1"], "untouched: still the old model, still their images")
        #expect(try ["u1", "c1"].map { try store.thumbnail(productID: $0) } == thumbnails)
    }

    @Test("a product written meanwhile keeps the newer write (replace is conditional on the write it read)")
    func writtenMeanwhile() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert([TestCatalog.record("m1", name: "Lu")])
        var read = try #require(try store.product(id: "m1"))
        try store.upsert([TestCatalog.record("m1", name: "Plus récent")])
        read.name = "Ré-embarqué"
        #expect(try store.replace([read]) == [false])
        #expect(try store.product(id: "m1")?.name == "Plus récent")
        _ = try store.delete(id: "m1")
        #expect(try store.replace([read]) == [false], "nor brings a deleted product back")
        #expect(try store.product(id: "m1") == nil)
    }
}
