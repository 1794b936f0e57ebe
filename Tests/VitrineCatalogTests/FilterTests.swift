import Foundation
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineProbe
import VitrineTestSupport

/// Filters, pages and facets against brute-force references, on random catalogues stored in
/// SQLite and read into a live index through the change feed (so attributes travel as they do
/// in a server). On threads of its own: a minute of computing in a debug build would otherwise
/// hold a thread of the cooperative pool that the in-process servers of other suites need.
@Suite("Filters, pages and facets", .onOwnThreads)
struct FilterTests {
    static let brands = ["Acme", "Zed", "Boréal", "acme", "Nord"]
    static let colours = ["rouge", "bleu", "vert", "noir", "blanc", "rose"]

    /// A random product: attributes of every type, some missing, some free-text metadata.
    static func product(_ index: Int, random: inout SeededGenerator) -> ProductRecord {
        var fields: [String] = []
        if Int.random(in: 0..<10, using: &random) < 8 { fields.append("\"brand\": \"\(brands.randomElement(using: &random)!)\"") }
        if Int.random(in: 0..<10, using: &random) < 7 {
            let price = Double(Int.random(in: 0..<10_000, using: &random)) / 100
            fields.append("\"price\": \(price)")
        }
        if Bool.random(using: &random) { fields.append("\"in_stock\": \(Bool.random(using: &random))") }
        if Int.random(in: 0..<10, using: &random) < 6 {
            let tags = (0..<Int.random(in: 0...3, using: &random)).map { _ in "\"\(colours.randomElement(using: &random)!)\"" }
            fields.append("\"colours\": [\(tags.joined(separator: ", "))]")
        }
        if Int.random(in: 0..<10, using: &random) == 0 { fields.append("\"nested\": {\"x\": 1}, \"none\": null") }
        let metadata = Int.random(in: 0..<20, using: &random) == 0 ? "texte libre" : "{\(fields.joined(separator: ", "))}"
        var vector = (0..<ModelSpec.dimension).map { _ in Float.random(in: -1...1, using: &random) }
        VectorMath.normalize(&vector)
        let name = "Produit \(index)"
        return ProductRecord(productID: "f\(index)", name: name, description: "", metadata: metadata,
                             textDigest: Digest.text(name: name, description: "", metadata: metadata), imageDigest: nil,
                             imageWidth: nil, imageHeight: nil, model: ModelSpec.id, fused: vector, image: nil, text: vector)
    }

    /// A random filter of every operator, nested up to `depth`.
    static func filter(depth: Int, random: inout SeededGenerator) -> String {
        let choice = Int.random(in: 0..<(depth > 0 ? 11 : 8), using: &random)
        switch choice {
        case 0: return "{\"brand\": \"\(brands.randomElement(using: &random)!)\"}"
        case 1: return "{\"brand\": {\"in\": [\"\(brands.randomElement(using: &random)!)\", \"\(brands.randomElement(using: &random)!)\"]}}"
        case 2:
            let low = Int.random(in: 0..<80, using: &random)
            return "{\"price\": {\"gte\": \(low), \"lt\": \(low + Int.random(in: 1..<40, using: &random))}}"
        case 3: return "{\"price\": {\"\(["gt", "gte", "lt", "lte"].randomElement(using: &random)!)\": \(Int.random(in: 0..<100, using: &random))}}"
        case 4: return "{\"colours\": \"\(colours.randomElement(using: &random)!)\"}"
        case 5: return "{\"\(["colours", "price", "in_stock", "nested", "missing"].randomElement(using: &random)!)\": {\"exists\": \(Bool.random(using: &random))}}"
        case 6: return "{\"in_stock\": \(Bool.random(using: &random))}"
        case 7: return "{\"brand\": \"\(brands.randomElement(using: &random)!)\", \"price\": {\"lte\": \(Int.random(in: 0..<100, using: &random))}}"
        case 8: return "{\"not\": \(filter(depth: depth - 1, random: &random))}"
        case 9: return "{\"or\": [\(filter(depth: depth - 1, random: &random)), \(filter(depth: depth - 1, random: &random))]}"
        default: return "{\"and\": [\(filter(depth: depth - 1, random: &random)), \(filter(depth: depth - 1, random: &random))]}"
        }
    }

    /// A store of `count` random products, its live fused index, and the products.
    static func catalogue(_ count: Int, seed: UInt64) throws -> (SQLiteProductStore, LiveIndex, [ProductRecord], URL) {
        let (store, folder) = try TestCatalog.store()
        var random = SeededGenerator(state: seed)
        let products = (0..<count).map { product($0, random: &random) }
        for start in stride(from: 0, to: count, by: 500) { try store.upsert(Array(products[start..<min(count, start + 500)])) }
        let live = try LiveIndex(kind: .fused, modelID: ModelSpec.id, feed: store)
        return (store, live, products, folder)
    }

    /// The exact ranking among the products a filter matches (cosine, then id).
    static func reference(_ query: [Float], _ products: [ProductRecord], _ filter: Filter?,
                          attributes: [ProductAttributes]? = nil) -> [String] {
        let attributes = attributes ?? products.map { ProductAttributes(metadata: $0.metadata) }
        var scored: [(score: Float, id: String)] = []
        for (product, its) in zip(products, attributes) where filter?.matches(its) ?? true {
            scored.append((VectorMath.dot(query, product.fused), product.productID))
        }
        scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
        return scored.map(\.id)
    }

    @Test("every operator, nested: the index matches exactly the products the definition does, and top-k is exact under the filter")
    func semantics() throws {
        let (store, live, products, folder) = try Self.catalogue(1_200, seed: 11)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        var random = SeededGenerator(state: 5)
        var sizes: [Int] = []
        let attributes = products.map { ProductAttributes(metadata: $0.metadata) }
        for round in 0..<120 {
            let text = Self.filter(depth: 3, random: &random)
            let filter = try Filter.parse(text)
            let expected = Set(zip(products, attributes).filter { filter.matches($0.1) }.map(\.0.productID))
            let counted = live.index.select(filter) { $0.count }
            #expect(counted == expected.count, "\(text): the index counts \(counted), the definition \(expected.count)")
            sizes.append(expected.count)
            var query = (0..<ModelSpec.dimension).map { _ in Float.random(in: -1...1, using: &random) }
            VectorMath.normalize(&query)
            let k = [1, 10, 25][round % 3]
            let page = try search.search(query, in: live.index, kind: .fused, options: SearchOptions(filter: filter, limit: k), excluding: nil)
            let best = Array(Self.reference(query, products, filter, attributes: attributes).prefix(k))
            #expect(page.hits.map(\.productID) == best, "\(text): top \(k) under the filter")
            #expect(page.hits.count == min(k, expected.count), "k results whenever k products match")
            #expect(page.total == expected.count)
        }
        // The random filters covered empty, selective and broad matches.
        #expect(sizes.contains(0) && sizes.contains { $0 > 0 && $0 < 30 } && sizes.contains { $0 > 600 })
    }

    @Test("empty and full matches; a selective filter still fills the page; changes follow the feed")
    func extremes() throws {
        let (store, live, products, folder) = try Self.catalogue(2_000, seed: 12)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let query = products[0].fused
        func ids(_ filter: String?, k: Int = 10) throws -> [String] {
            try search.search(query, in: live.index, kind: .fused,
                              options: SearchOptions(filter: filter.map { try Filter.parse($0) }, limit: k), excluding: nil).hits.map(\.productID)
        }
        #expect(try ids("{}") == Array(Self.reference(query, products, nil).prefix(10)))
        #expect(try ids("{\"not\": {}}").isEmpty)
        #expect(try ids("{\"brand\": \"Nobody\"}").isEmpty)
        #expect(try ids("{\"price\": {\"gt\": 100}}").isEmpty)
        // Three products carry a rare attribute; far from the query, they are still the three results.
        var rare = [products[1500], products[1700], products[1900]]
        for index in rare.indices {
            rare[index].metadata = "{\"sku\": \"RARE-\(index)\", \"brand\": \"Unique\"}"
            rare[index].fused = rare[index].fused.map { -$0 }
        }
        try store.upsert(rare)
        try live.refresh()
        let found = try ids("{\"brand\": \"Unique\"}", k: 10)
        #expect(Set(found) == Set(rare.map(\.productID)) && found.count == 3)
        #expect(try ids("{\"sku\": {\"in\": [\"RARE-0\", \"RARE-2\"]}}") .sorted() == [rare[0].productID, rare[2].productID])
        // A delete and a changed attribute follow the feed.
        _ = try store.delete(id: rare[0].productID)
        rare[1].metadata = "{\"brand\": \"Other\"}"
        try store.upsert([rare[1]])
        try live.refresh()
        #expect(try ids("{\"brand\": \"Unique\"}") == [rare[2].productID])
        #expect(try ids("{\"brand\": \"Other\"}") == [rare[1].productID])
    }

    @Test("pages are disjoint and complete while nothing changes; min_score drops weak matches; the next cursor ends")
    func pages() throws {
        let (store, live, products, folder) = try Self.catalogue(600, seed: 13)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let query = products[7].fused
        for text in [nil, "{\"brand\": {\"in\": [\"Acme\", \"Zed\"]}}", "{\"price\": {\"lt\": 10}}"] {
            let filter = try text.map { try Filter.parse($0) }
            let all = Self.reference(query, products, filter)
            var seen: [String] = [], offset: Int? = 0
            while let start = offset {
                let page = try search.search(query, in: live.index, kind: .fused, options: SearchOptions(filter: filter, offset: start, limit: 7),
                                             excluding: nil)
                seen += page.hits.map(\.productID)
                #expect(page.total == all.count)
                offset = page.nextOffset
                if seen.count > all.count + 7 { break }
            }
            #expect(seen == all, "\(text ?? "no filter"): every match once, in order")
        }
        let threshold: Float = 0.05
        let page = try search.search(query, in: live.index, kind: .fused, options: SearchOptions(limit: 1_000, minScore: threshold), excluding: nil)
        let strong = products.filter { VectorMath.dot(query, $0.fused) >= threshold }.count
        #expect(page.hits.count == strong && page.hits.allSatisfy { $0.score >= threshold } && page.nextOffset == nil)
    }

    @Test("facets equal brute-force counts among the products the filter matches")
    func facets() throws {
        let (store, live, products, folder) = try Self.catalogue(900, seed: 14)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        for text in ["{}", "{\"price\": {\"gte\": 50}}", "{\"not\": {\"brand\": \"Zed\"}}"] {
            let filter = try Filter.parse(text)
            let matching = products.map { ProductAttributes(metadata: $0.metadata) }.filter { filter.matches($0) }
            let page = try search.search(products[0].fused, in: live.index, kind: .fused,
                                         options: SearchOptions(filter: filter, limit: 3, facets: ["brand", "colours", "in_stock", "absent"],
                                                                facetLimit: 100), excluding: nil)
            for facet in page.facets {
                var expected: [AttributeValue: Int] = [:]
                for attributes in matching { for value in attributes.values(facet.name) { expected[value, default: 0] += 1 } }
                #expect(Dictionary(uniqueKeysWithValues: facet.values.map { ($0.value, $0.count) }) == expected, "\(text): \(facet.name)")
                #expect(facet.values.map(\.count) == facet.values.map(\.count).sorted(by: >), "most frequent first")
            }
            #expect(page.facets.last?.values.isEmpty == true)
        }
    }

    @Test("a snapshot keeps the attributes: filters answer the same after a reload")
    func snapshot() throws {
        let (_, live, _, folder) = try Self.catalogue(300, seed: 15)
        defer { try? FileManager.default.removeItem(at: folder) }
        let header = IndexSnapshot.Header(store: "s", model: ModelSpec.id, kind: .fused, dimension: ModelSpec.dimension, position: 9)
        let url = folder.appendingPathComponent("fused.vindex")
        try IndexSnapshot.write(IndexSnapshot.encode(live.index, header: header), to: url)
        let loaded = try #require(IndexSnapshot.load(from: url, expected: header))
        var random = SeededGenerator(state: 3)
        for _ in 0..<40 {
            let filter = try Filter.parse(Self.filter(depth: 2, random: &random))
            #expect(loaded.index.select(filter) { $0.count } == live.index.select(filter) { $0.count })
        }
    }

    @Test("malformed filters are refused, naming what is wrong", arguments: [
        ("[1]", "must be an object"), ("{\"price\": {\"gte\": \"10\"}}", "filter.price.gte must be a number"),
        ("{\"brand\": {\"like\": \"A\"}}", "unknown operator \"like\""), ("{\"brand\": [\"A\"]}", "{\"in\": [...]}"),
        ("{\"brand\": null}", "must be a string, a number or true/false"), ("{\"or\": []}", "filter.or must be a non-empty array"),
        ("{\"brand\": {}}", "empty object"), ("{\"colour\": {\"exists\": 1}}", "must be true or false"),
        ("{\"brand\": {\"in\": \"A\"}}", "must be an array"), ("not json", "is not JSON"),
        (String(repeating: "{\"not\": ", count: 12) + "{}" + String(repeating: "}", count: 12), "nested deeper"),
    ])
    func malformed(_ text: String, _ message: String) {
        #expect {
            _ = try Filter.parse(text)
        } throws: { error in
            guard let error = error as? CatalogError else { return false }
            return error.code == .invalidField && error.field == "filter" && error.message.contains(message)
        }
    }

    @Test("JSON is parsed as RFC 8259 has it: escapes, surrogate pairs, numbers, literals; anything else refused")
    func json() {
        #expect(JSONValue.parse(#"{"a": "\u00e9\ud83d\ude00\n\"", "b": -1.5e2, "c": [true, false, null], "d": {}, "e": 0}"#)
                == .object(["a": .string("é😀\n\""), "b": .number(-150), "c": .array([.bool(true), .bool(false), .null]),
                            "d": .object([:]), "e": .number(0)]))
        #expect(JSONValue.parse(" [1, 2.5, \"x\"] ") == .array([.number(1), .number(2.5), .string("x")]))
        #expect(JSONValue.parse(#""\ud800""#) == .string("\u{FFFD}"), "a lone surrogate")
        for bad in ["01", "1.", "-", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"\u{01}\"", "[1] x", "tru", "\"\\x\"", "{", "", "nul", "+1", ".5", "1e"] {
            #expect(JSONValue.parse(bad) == nil, "\(bad)")
        }
        #expect(JSONValue.parse(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)) == nil, "too deep")
    }

    @Test("attributes: strings, numbers, booleans and arrays of strings from a JSON object; nothing from free text")
    func attributes() {
        let attributes = ProductAttributes(metadata: "{\"brand\": \"Acme\", \"price\": 12.5, \"new\": true, \"tags\": [\"a\", \"b\", \"a\"], \"mixed\": [1, \"x\"], \"o\": {}, \"n\": null}")
        #expect(attributes.values("brand") == [.string("Acme")])
        #expect(attributes.values("price") == [.number(12.5)])
        #expect(attributes.values("new") == [.bool(true)])
        #expect(attributes.values("tags") == [.string("a"), .string("b")])
        #expect(attributes.values("mixed").isEmpty && attributes.values("o").isEmpty && attributes.values("n").isEmpty)
        #expect(ProductAttributes(metadata: "service").isEmpty && ProductAttributes(metadata: "[1, 2]").isEmpty)
        #expect(ProductAttributes(metadata: "{\"one\": 1}").values("one") != [.bool(true)], "1 is not true")
    }
}
