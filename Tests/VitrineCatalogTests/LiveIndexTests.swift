import Foundation
import Testing
@testable import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// Search indexes that follow the change feed, in place, and their snapshots.
@Suite("Live index")
struct LiveIndexTests {
    static func products(_ count: Int, from: Int = 0, seed: Float = 1) -> [ProductRecord] {
        (from..<(from + count)).map { TestCatalog.record("p\($0)", name: "Produit \($0)", seed: seed + Float($0) * 0.37) }
    }

    @Test("writes, deletes and re-embeddings by another handle are applied in place, without a reload")
    func followsWrites() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert(Self.products(300))
        let live = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store)
        let index = live.index
        #expect(index.count == 300)
        // Another process writes.
        let other = try SQLiteProductStore(path: store.path)
        try other.upsert(Self.products(20, from: 300))
        try other.upsert([TestCatalog.record("p5", name: "Replaced", seed: 99)])
        #expect(try other.delete(id: "p7"))
        try other.upsert([TestCatalog.record("p8", model: "old-model@0")])
        #expect(try live.refresh() == 23)
        #expect(live.index === index, "the same index, updated in place")
        #expect(index.count == 318 && !index.contains(productID: "p7") && !index.contains(productID: "p8"))
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let replaced = try search.search(TestCatalog.record("q", seed: 99).fused, in: index, kind: .fused, k: 1, excluding: nil)
        #expect(replaced.first?.productID == "p5" && replaced.first?.name == "Replaced")
        #expect(live.position == (try store.position()))
        #expect(try live.refresh() == 0, "nothing new")
    }

    @Test("a snapshot is read back with its position and only later changes are applied; a foreign or damaged one is ignored")
    func snapshots() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert(Self.products(500))
        #expect(try store.delete(id: "p3"))
        let file = folder.appendingPathComponent("index/fused.vindex")
        let first = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store, snapshot: file)
        #expect(try first.saveSnapshot())
        #expect(try !first.saveSnapshot(), "nothing changed since")
        try store.upsert(Self.products(5, from: 500))
        let second = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store, snapshot: file)
        #expect(second.index.count == 504 && second.position == first.position + 5)
        let query = Self.products(1, from: 502)[0].fused
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        #expect(try search.search(query, in: second.index, kind: .fused, k: 1, excluding: nil).first?.productID == "p502")
        #expect(!second.index.contains(productID: "p3"))
        // Another model's, another store's, or a damaged snapshot is not used.
        let header = IndexSnapshot.Header(store: try store.identity(), model: ModelSpec.id, kind: .fused, dimension: 512, position: 0)
        #expect(IndexSnapshot.load(from: file, expected: header) != nil)
        var other = header
        other.model = "other@1"
        #expect(IndexSnapshot.load(from: file, expected: other) == nil)
        other = header
        other.store = "another store"
        #expect(IndexSnapshot.load(from: file, expected: other) == nil)
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 3).write(to: file)
        #expect(IndexSnapshot.load(from: file, expected: header) == nil, "truncated")
        let third = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store, snapshot: file)
        #expect(third.index.count == 504, "rebuilt from the store")
    }

    @Test("after the deletions it had not seen were purged, the index is rebuilt beside the old one")
    func startsOver() throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert(Self.products(50))
        let live = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store)
        let old = live.index
        #expect(try store.delete(id: "p1"))
        #expect(try SQLiteJobQueue(store: store).purge(finishedBefore: Date().addingTimeInterval(3_600)).tombstones == 1)
        try live.refresh()
        #expect(live.index !== old && live.index.count == 49 && !live.index.contains(productID: "p1"))
        #expect(old.count == 50, "searches that held the old index finished on it")
    }

    @Test("a process searches its own writes at once; others' after the staleness interval")
    func readYourWrites() async throws {
        let (store, folder) = try TestCatalog.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.upsert(Self.products(10))
        let indexes = SearchIndexes(feed: store, modelID: ModelSpec.id, staleness: .seconds(3_600))
        #expect(try indexes.index(.fused).count == 10)
        try store.upsert(Self.products(1, from: 10))
        #expect(try indexes.index(.fused).count == 10, "not yet: checked under an hour ago")
        indexes.invalidate()
        #expect(try indexes.index(.fused).count == 11, "this process wrote: applied before the search")
        let quick = SearchIndexes(feed: store, modelID: ModelSpec.id, staleness: .milliseconds(20))
        _ = try quick.index(.fused)
        try store.upsert(Self.products(1, from: 11))
        try await Task.sleep(for: .milliseconds(40))
        #expect(try quick.index(.fused).count == 12)
    }
}
