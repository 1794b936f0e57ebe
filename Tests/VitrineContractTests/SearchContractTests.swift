import Foundation
import Testing
import VitrineStore

/// What filtered and hybrid search need of a store, on every backend: attributes in the feed,
/// and the database's own full-text ranking.
@Suite("Contract: attributes and full-text search")
struct SearchContractTests {
    static func record(_ id: String, name: String, description: String = "", metadata: String = "{}", seed: Float = 1) -> ProductRecord {
        var record = Sample.record(id, name: name, seed: seed)
        record.description = description
        record.metadata = metadata
        return record
    }

    @Test("a query's plan: words held by too many products are left out of 'any word'; all common: all of them, scored in row order")
    func plan() {
        let cap = LexicalQuery.commonWordProducts
        let mixed = LexicalQuery("SKU-1234").plan(["sku": cap + 1, "1234": 3])
        #expect(mixed.fts5 == "\"1234\"" && mixed.tsquery == "'1234'" && !mixed.scoredInRowOrder)
        let rare = LexicalQuery("lampe Lampe bureau").plan(["lampe": 10, "bureau": 20])
        #expect(rare.fts5 == "\"lampe\" OR \"bureau\"" && !rare.scoredInRowOrder)
        let common = LexicalQuery("robe rouge").plan(["robe": cap + 1, "rouge": cap + 1])
        #expect(common.fts5 == "\"robe\" AND \"rouge\"" && common.tsquery == "'robe' & 'rouge'" && common.scoredInRowOrder)
        let phrase = LexicalQuery("Pleine fleur").phrase.plan([:])
        #expect(phrase.fts5 == "\"pleine fleur\"" && phrase.tsquery == "('pleine' <-> 'fleur')")
    }

    @Test("the feed carries each product's attributes from its metadata, and their changes", arguments: Backend.all)
    func attributesInTheFeed(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products, feed = instance.storage.feed
            try store.upsert([Self.record("a", name: "A", metadata: "{\"brand\": \"Acme\", \"price\": 10, \"tags\": [\"x\", \"y\"]}"),
                              Self.record("b", name: "B", metadata: "texte libre")])
            let changes = try Sample.changes(feed)
            let a = try #require(changes.first { $0.productID == "a" }?.entry)
            #expect(a.attributes.values("brand") == [.string("Acme")] && a.attributes.values("price") == [.number(10)])
            #expect(a.attributes.values("tags") == [.string("x"), .string("y")])
            #expect(changes.first { $0.productID == "b" }?.entry?.attributes.isEmpty == true)
            var current: [String: ProductAttributes] = [:]
            _ = try feed.currentProducts(.fused) { current[$0.productID] = $0.entry?.attributes }
            #expect(current["a"] == a.attributes)
            let position = try feed.position()
            try store.upsert([Self.record("a", name: "A", metadata: "{\"brand\": \"Zed\"}")])
            let after = try Sample.changes(feed, after: position)
            #expect(after.first?.entry?.attributes.values("brand") == [.string("Zed")] && after.first?.entry?.attributes.values("price") == [])
        }
    }

    @Test("full-text: a code, a rare word and a phrase rank their product first, folded as the embedding folds; updates, deletes and rows",
          arguments: Backend.all)
    func fullText(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products
            try store.upsert([
                Self.record("lamp", name: "Lampe de bureau", description: "Ampoule E27 non fournie, abat-jour conique."),
                Self.record("mug", name: "Mug en céramique", description: "Tasse de 35 cl, passe au lave-vaisselle."),
                Self.record("cream", name: "Crème pour le cuir", description: "Nourrit le cuir, ravive la couleur.", metadata: "{\"sku\": \"CR-204\"}"),
                Self.record("bag", name: "Sac en cuir", description: "Cuir pleine fleur, fermoir métallique."),
                Self.record("belt", name: "Ceinture", description: "Cuir de vachette, pleine longueur, boucle en fleur de métal."),
            ])
            func first(_ text: String, among rows: [Int64]? = nil) throws -> [String] {
                try store.lexicalMatches(LexicalQuery(text), among: rows, limit: 5).map(\.productID)
            }
            #expect(try first("e27").first == "lamp")
            #expect(try first("CREME").first == "cream", "accents and case folded")
            #expect(try first("cr-204").first == "cream", "a SKU in the metadata")
            #expect(try Set(first("pleine fleur")) == ["bag", "belt"], "either word")
            #expect(try store.lexicalMatches(LexicalQuery("pleine fleur").phrase, among: nil, limit: 5).map(\.productID) == ["bag"],
                    "the phrase: the words side by side, in order")
            #expect(try Set(first("cuir")) == ["cream", "bag", "belt"])
            #expect(try first("cuir").first == "cream" || first("cuir").first == "bag", "the name weighs more")
            #expect(try first("zzzz").isEmpty && first("").isEmpty)
            #expect(try first("cuir zzzz").count == 3, "any of the words")
            let scores = try store.lexicalMatches(LexicalQuery("cuir"), among: nil, limit: 5).map(\.score)
            #expect(scores == scores.sorted(by: >), "best first")
            var rows: [String: Int64] = [:]
            try store.forEachVector(.fused) { rows[$0.productID] = $0.rowID }
            #expect(try first("cuir", among: [rows["belt"]!]) == ["belt"])
            // A phrase among given rows (checked on their text): in order, side by side, folded, within one field.
            let phrase = LexicalQuery("PLEINE Fleur").phrase
            #expect(try store.lexicalMatches(phrase, among: [rows["bag"]!, rows["belt"]!, rows["lamp"]!], limit: 5).map(\.productID) == ["bag"])
            #expect(try store.lexicalMatches(LexicalQuery("cr 204").phrase, among: Array(rows.values), limit: 5).map(\.productID) == ["cream"])
            #expect(try store.lexicalMatches(LexicalQuery("couleur ravive").phrase, among: Array(rows.values), limit: 5).isEmpty, "not in order")
            #expect(try first("cuir", among: []).isEmpty)
            try store.upsert([Self.record("mug", name: "Bol en grès", description: "Émaillé à la main.")])
            #expect(try first("ceramique").isEmpty && first("gres") == ["mug"], "an update replaces the words")
            #expect(try store.delete(id: "lamp"))
            #expect(try first("e27").isEmpty, "a delete takes them away")
        }
    }
}
