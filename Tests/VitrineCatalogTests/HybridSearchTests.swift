import Foundation
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// Hybrid ranking on the sample catalogue indexed into SQLite: the full-text ranking (FTS5's
/// BM25) fused with the vector ranking by reciprocal rank. On threads of its own (each test
/// indexes the sample catalogue: seconds of computing in a debug build).
@Suite("Hybrid search", .onOwnThreads)
struct HybridSearchTests {
    static func catalogue() throws -> (SQLiteProductStore, LiveIndex, URL) {
        let (store, folder) = try TestCatalog.store()
        _ = try CatalogIndexer(store: store, model: TestCatalog.model).index(catalogPath: TestCatalog.catalogCSV)
        return (store, try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store), folder)
    }

    @Test("a SKU-like code, a rare word or an exact phrase finds its product first, accents and case folded", arguments: [
        ("E27", "p07"), ("UV400", "p16"), ("a5", "p15"), ("pleine fleur", "p04"), ("VISCOSE", "p12"),
        ("polarisees", "p16"), ("semelle", "p03"), ("COEUR", "t05"), ("24 heures", "p11"),
    ])
    func lexicalFirst(_ query: String, _ expected: String) throws {
        let (store, live, folder) = try Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let page = try search.search(text: query, in: live.index, kind: .fused, options: SearchOptions(limit: 5, lexicalWeight: 0.5))
        #expect(page.hits.first?.productID == expected, "\(query): \(page.hits.map(\.productID))")
    }

    @Test("the vectors alone miss some of those: the fusion is what finds them")
    func vectorsAloneMiss() throws {
        let (store, live, folder) = try Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let queries = [("E27", "p07"), ("UV400", "p16"), ("a5", "p15"), ("24 heures", "p11"), ("semelle", "p03"), ("COEUR", "t05")]
        var missed: [String] = []
        for (query, expected) in queries {
            let vectors = try search.search(text: query, in: live.index, kind: .fused, options: SearchOptions(limit: 1))
            if vectors.hits.first?.productID != expected { missed.append(query) }
        }
        #expect(!missed.isEmpty, "every query already found first by its vectors: the test shows nothing")
    }

    @Test("a descriptive query whose words no product holds is ranked by its vectors; one that shares words keeps the look-alikes")
    func descriptive() throws {
        let (store, live, folder) = try Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let english = "light summer dress"
        let vectors = try search.search(text: english, in: live.index, kind: .fused, options: SearchOptions(limit: 5)).hits.map(\.productID)
        let hybrid = try search.search(text: english, in: live.index, kind: .fused, options: SearchOptions(limit: 5, lexicalWeight: 0.5))
        #expect(hybrid.hits.map(\.productID) == vectors)
        let french = "robe légère pour l'été"
        let near = try search.search(text: french, in: live.index, kind: .fused, options: SearchOptions(limit: 2)).hits.map(\.productID)
        let fused = try search.search(text: french, in: live.index, kind: .fused, options: SearchOptions(limit: 4, lexicalWeight: 0.5))
        #expect(Set(near).isSubset(of: fused.hits.map(\.productID)), "\(near) within \(fused.hits.map(\.productID))")
    }

    @Test("hybrid under a filter, with pages; the weight moves the ranking from vectors (0) to words (1)")
    func filteredAndWeighted() throws {
        let (store, live, folder) = try Self.catalogue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let filter = try Filter.parse("{\"category\": {\"in\": [\"vetements\", \"mobilier\"]}}")
        let page = try search.search(text: "robe en bois", in: live.index, kind: .fused,
                                     options: SearchOptions(filter: filter, limit: 10, lexicalWeight: 0.5))
        #expect(page.total == 5 && Set(page.hits.map(\.productID)) == ["p01", "p02", "p12", "p06", "p08"])
        let first = try search.search(text: "robe en bois", in: live.index, kind: .fused,
                                      options: SearchOptions(filter: filter, limit: 2, lexicalWeight: 0.5))
        let second = try search.search(text: "robe en bois", in: live.index, kind: .fused,
                                       options: SearchOptions(filter: filter, offset: 2, limit: 3, lexicalWeight: 0.5))
        #expect(first.hits.map(\.productID) + second.hits.map(\.productID) == page.hits.map(\.productID))
        let words = try search.search(text: "E27", in: live.index, kind: .fused, options: SearchOptions(limit: 3, lexicalWeight: 1))
        #expect(words.hits.map(\.productID) == ["p07"], "weight 1: only what the words match")
        let vectorsOnly = try search.search(text: "E27", in: live.index, kind: .fused, options: SearchOptions(limit: 3, lexicalWeight: 0))
        let plain = try search.search(text: "E27", in: live.index, kind: .fused, options: SearchOptions(limit: 3))
        #expect(vectorsOnly.hits.map(\.productID) == plain.hits.map(\.productID), "weight 0: the vector ranking")
    }
}
