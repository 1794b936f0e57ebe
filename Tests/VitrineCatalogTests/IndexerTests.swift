import Foundation
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// Indexing the sample catalogue into a real SQLite file, then searching it.
@Suite("Indexing and search")
struct IndexerTests {
    @Test("repeated ids: the last row wins whether the survey is done before a batch is embedded or after")
    func repeatedIDs() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 1,500 ids, the first 500 again at the end, and one id three times inside the first batch:
        // the first batches are embedded while the survey still reads the file.
        var csv = "product_id,name,description\n"
        for index in 0..<1_500 { csv += "p\(index),first \(index),Lampe de bureau \(index)\n" }
        csv += "q,one,x\nq,two,x\nq,three,x\n"
        for index in 0..<500 { csv += "p\(index),second \(index),Lampe de bureau \(index)\n" }
        let path = folder.appendingPathComponent("repeated.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let indexer = CatalogIndexer(store: store, model: TestCatalog.model, jobs: 2, batchSize: 64)
        let summary = try indexer.index(catalogPath: path)
        #expect(summary.rows == 2_003 && summary.indexed == 1_501 && summary.unchanged == 0 && summary.failed == 0)
        #expect(summary.duplicateIDs == 502)
        #expect(try store.count() == 1_501)
        #expect(try store.product(id: "p0")?.name == "second 0")
        #expect(try store.product(id: "p499")?.name == "second 499")
        #expect(try store.product(id: "p500")?.name == "first 500")
        #expect(try store.product(id: "q")?.name == "three")
    }

    @Test("the sample catalogue: indexed, bad rows reported with reasons, duplicates resolved, then idempotent")
    func sampleCatalogue() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let indexer = CatalogIndexer(store: store, model: TestCatalog.model, jobs: 2, batchSize: 7)
        var logged: [RowFailure] = []
        var progress: [IndexProgress] = []
        let summary = try indexer.index(catalogPath: TestCatalog.catalogCSV, onProgress: { progress.append($0) },
                                        onFailure: { logged.append($0) })
        #expect(summary.rows == 32 && summary.indexed == 25 && summary.unchanged == 0 && summary.failed == 6)
        #expect(summary.duplicateIDs == 1 && summary.duplicateExamples == ["t03"])
        #expect(logged == summary.failures)
        let reasons = Dictionary(uniqueKeysWithValues: logged.map { ($0.row, $0.code) })
        #expect(reasons == [27: "missing_field", 28: "image_missing", 29: "truncated", 30: "unsupported_format",
                            31: "missing_field", 32: "bad_row"])
        #expect(logged.first { $0.row == 28 }?.productID == "b01")
        #expect(progress.last?.done == 32 && progress.last?.total == 32)
        #expect(try store.count() == 25)
        #expect(try store.product(id: "t03")?.name == "Gift wrapping (premium)", "the last row wins")
        let photo = try #require(try store.product(id: "p05"))
        #expect(photo.image != nil && photo.imageWidth == 320 && photo.imageHeight == 280 && photo.model == ModelSpec.id)
        #expect(try store.product(id: "t01")?.image == nil)

        let again = try indexer.index(catalogPath: TestCatalog.catalogCSV)
        #expect(again.indexed == 0 && again.unchanged == 25 && again.failed == 6)
        // The JSON Lines copy holds the same products: nothing to do either.
        let jsonl = try indexer.index(catalogPath: TestCatalog.catalogJSONL)
        #expect(jsonl.indexed == 0 && jsonl.unchanged == 25 && jsonl.failed == 6)
    }

    @Test("only what changed is embedded again: text, image, or model")
    func changes() throws {
        let folder = try TestCatalog.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteProductStore(path: folder.appendingPathComponent("db.sqlite").path)
        let images = Repository.fixtures.appendingPathComponent("products/images").path
        let catalog = folder.appendingPathComponent("c.csv")
        try Data("product_id,name,image\na,Lampe,p07.jpg\nb,Mug,p05.jpg\nc,Carte,\n".utf8).write(to: catalog)
        let indexer = CatalogIndexer(store: store, model: TestCatalog.model, jobs: 2)
        #expect(try indexer.index(catalogPath: catalog.path, imagesRoot: images).indexed == 3)
        try Data("product_id,name,image\na,Lampe de bureau,p07.jpg\nb,Mug,p04.jpg\nc,Carte,\n".utf8).write(to: catalog)
        let second = try indexer.index(catalogPath: catalog.path, imagesRoot: images)
        #expect(second.indexed == 2 && second.unchanged == 1)
        // A product stored by another model version is embedded again by reindex.
        var stale = try #require(try store.product(id: "c"))
        stale.model = "vitrine-clip@0"
        try store.upsert([stale])
        let reindexed = try indexer.reindex()
        #expect(reindexed.indexed == 1 && reindexed.failed == 0)
        #expect(try store.product(id: "c")?.model == ModelSpec.id)
    }

    @Test("an interrupted run keeps what it committed and the next run does only the rest")
    func resume() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let stop = StopFlag()
        let indexer = CatalogIndexer(store: store, model: TestCatalog.model, jobs: 2, batchSize: 5)
        let first = try indexer.index(catalogPath: TestCatalog.catalogCSV, stop: stop, onProgress: { _ in stop.stop() })
        #expect(first.interrupted && first.rows == 5 && first.indexed == 5)
        #expect(try store.count() == 5)
        let second = try indexer.index(catalogPath: TestCatalog.catalogCSV)
        #expect(second.unchanged == 5 && second.indexed == 20)
        #expect(try store.count() == 25)
    }

    @Test("search: text, image and like, in every mode, on the indexed catalogue")
    func search() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try CatalogIndexer(store: store, model: TestCatalog.model).index(catalogPath: TestCatalog.catalogCSV)
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let indexes = SearchIndexes(feed: store, modelID: TestCatalog.model.id)
        let fused = try indexes.index(.fused), images = try indexes.index(.image), texts = try indexes.index(.text)
        #expect(fused.count == 25 && images.count == 20 && texts.count == 25)
        #expect(try search.search(text: "lampe de bureau", in: fused, kind: .fused, k: 3).first?.productID == "p07")
        #expect(try search.search(text: "carte cadeau", in: texts, kind: .text, k: 3).first?.productID == "t01")
        let red = try search.search(text: "rouge", in: images, kind: .image, k: 1).first?.productID
        #expect(["p01", "p12", "p14"].contains(red ?? ""), "a red product's photo first, got \(red ?? "nothing")")
        let photo = try Data(contentsOf: Repository.fixtures.appendingPathComponent("products/variants/p09--watermark.jpg"))
        #expect(try search.search(imageBytes: photo, in: images, kind: .image, k: 1).first?.productID == "p09")
        let like = try search.similar(to: "p04", in: images, kind: .image, k: 3)
        #expect(like.first?.productID == "p04-bis")
        #expect(!like.contains { $0.productID == "p04" }, "--like leaves the product out")
        #expect(throws: CatalogError.self) { try search.similar(to: "t01", in: images, kind: .image, k: 3) }
        #expect(throws: CatalogError.self) { try search.similar(to: "nope", in: fused, kind: .fused, k: 3) }
        let all = try search.search(text: "produit", in: fused, kind: .fused, k: 100)
        #expect(all.count == 25)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
    }
}
