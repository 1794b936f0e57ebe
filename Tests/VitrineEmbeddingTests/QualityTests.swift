import Foundation
import Testing
import VitrineEmbedding
import VitrineImaging

/// What the model is for: near-duplicates find their original, colour words
/// find the right photos, and sloppy text finds its clean form.
@Suite("Quality")
struct QualityTests {
    static let variantFiles: [String] = {
        (try? FileManager.default.contentsOfDirectory(atPath: ModelFixtures.variantsFolder.path).sorted()) ?? []
    }()

    @Test("there is a variant for every transform of every product")
    func variantsExist() {
        #expect(Self.variantFiles.count == ModelFixtures.products.count * 23)
    }

    @Test("each near-duplicate variant is nearer its own original than any other product",
          arguments: variantFiles.filter { !$0.contains("--banner") })
    func nearDuplicate(_ file: String) throws {
        let owner = String(file.prefix(while: { $0 != "-" }))
        let vector = try ModelFixtures.model.embedImage(atPath: ModelFixtures.variantsFolder.appendingPathComponent(file).path)
        let ranking = ModelFixtures.ranking(vector, among: ModelFixtures.imageVectors)
        let own = ranking.first { $0.id == owner }!
        #expect(ranking[0].id == owner,
                "\(file): nearest is \(ranking[0].id) (\(ranking[0].score)), own original \(own.score); next \(ranking[1])")
    }

    /// A dark banner along the bottom joins the foreground's box (the background is the
    /// border's colour): 14 of 16 fixture products still find their original (real photos: 80 of 100).
    @Test("a text banner over 15 % of the height: at least 14 of 16 find their original")
    func banner() throws {
        let files = Self.variantFiles.filter { $0.contains("--banner") }
        #expect(files.count == ModelFixtures.products.count)
        var found = 0
        for file in files {
            let vector = try ModelFixtures.model.embedImage(atPath: ModelFixtures.variantsFolder.appendingPathComponent(file).path)
            if ModelFixtures.ranking(vector, among: ModelFixtures.imageVectors)[0].id == String(file.prefix(while: { $0 != "-" })) { found += 1 }
        }
        #expect(found >= 14, "\(found) of \(files.count)")
    }

    @Test("colour words rank a photo of that colour first", arguments: [
        ("rouge", "red"), ("red", "red"), ("robe rouge", "red"), ("bleu", "blue"), ("blue", "blue"),
        ("robe bleue", "blue"), ("vert", "green"), ("green", "green"), ("jaune", "yellow"), ("yellow", "yellow"),
        ("orange", "orange"), ("rose", "pink"), ("pink hat", "pink"), ("violet", "purple"), ("purple", "purple"),
        ("marron", "brown"), ("brown leather bag", "brown"), ("noir", "black"), ("black", "black"),
        ("gris", "grey"), ("grey", "grey"), ("blanc", "white"), ("white", "white"),
        // Survey colour names (model version 3), English and French.
        ("écarlate", "red"), ("scarlet", "red"), ("cerise", "red"), ("cherry", "red"), ("bleu marine", "blue"), ("navy blue", "blue"),
        ("cobalt", "blue"), ("émeraude", "green"), ("emerald", "green"), ("vert menthe", "green"), ("chocolat", "brown"),
        ("chocolate", "brown"), ("acajou", "brown"), ("lavande", "purple"), ("lavender", "purple"),
        ("abricot", "orange"), ("apricot", "orange"), ("anthracite", "black"), ("charcoal", "black"),
        ("bordeaux", "red"), ("burgundy", "red"),
    ])
    func colourQuery(_ query: String, _ colour: String) throws {
        let vector = try ModelFixtures.model.embedText(query)
        let ranking = ModelFixtures.ranking(vector, among: ModelFixtures.imageVectors)
        let colours = Dictionary(uniqueKeysWithValues: ModelFixtures.products.map { ($0.product_id, $0.colour ?? "") })
        #expect(colours[ranking[0].id] == colour,
                "\(query): got \(ranking.prefix(3).map { "\($0.id) (\(colours[$0.id]!)) \($0.score)" })")
    }

    @Test("light and dark forms move the ranking the right way")
    func shades() throws {
        let model = ModelFixtures.model
        // The navy dress (p02) is darker than the pale-ish sky: "bleu marine" must still find it.
        let navy = ModelFixtures.ranking(try model.embedText("bleu marine"), among: ModelFixtures.imageVectors)
        #expect(navy[0].id == "p02")
        let darkGreen = ModelFixtures.ranking(try model.embedText("dark green"), among: ModelFixtures.imageVectors)
        #expect(darkGreen[0].id == "p15", "the dark green notebook: \(darkGreen.prefix(2))")
        let lightGreen = ModelFixtures.ranking(try model.embedText("vert clair"), among: ModelFixtures.imageVectors)
        #expect(lightGreen[0].id == "p11", "the brighter green bottle: \(lightGreen.prefix(2))")
    }

    @Test("red outranks blue for 'robe rouge' among the two dresses, whose texts never name a colour")
    func redDress() throws {
        let model = ModelFixtures.model
        let query = try model.embedText("robe rouge")
        let red = ModelFixtures.imageVectors["p12"]!, blue = ModelFixtures.imageVectors["p02"]!
        #expect(query.similarity(to: red) > query.similarity(to: blue))
        // Also on fused product vectors, where each dress's own text counts too.
        let products = Dictionary(uniqueKeysWithValues: ModelFixtures.products.map { ($0.product_id, $0) })
        let redFused = model.fuse(image: red, text: try model.embedText(products["p12"]!.text))
        let blueFused = model.fuse(image: blue, text: try model.embedText(products["p02"]!.text))
        #expect(query.similarity(to: redFused) > query.similarity(to: blueFused))
        let blueQuery = try model.embedText("robe bleue")
        #expect(blueQuery.similarity(to: blueFused) > blueQuery.similarity(to: redFused))
    }

    @Test("accents, case and compatibility forms fold away")
    func normalisation() throws {
        let model = ModelFixtures.model
        #expect(try model.embedText("Très bon produit") == model.embedText("tres bon produit"))
        #expect(try model.embedText("CAFÉ Crème") == model.embedText("cafe creme"))
        #expect(try model.embedText("ｆｕｌｌ ｗｉｄｔｈ") == model.embedText("full width"))
        #expect(try model.embedText("cœur") == model.embedText("coeur"))
        #expect(TextNormalizer.normalized("Élégante  Robe d'Été!") == "elegante robe d ete")
    }

    @Test("text with typos or without accents stays nearest its clean form", arguments: [
        ("t-shirt col ronds en coton", "p01"), ("robe d ete legere a bretelle", "p02"), ("snekers runing", "p03"),
        ("sac a main cuire", "p04"), ("mug ceramik", "p05"), ("chaise sale a manger", "p06"), ("lampe bureau", "p07"),
        ("canape 3 places tisu", "p08"), ("sac a dos urbin", "p09"), ("chapau de paile", "p10"),
        ("bouteile isotherme inox", "p11"), ("assiete plate porcelaine", "p13"), ("coussin raye", "p14"),
        ("carnet relie a5", "p15"), ("lunette de soleil polarisee", "p16"),
    ])
    func sloppyText(_ query: String, _ expected: String) throws {
        let model = ModelFixtures.model
        var texts: [String: Embedding] = [:]
        for product in ModelFixtures.products { texts[product.product_id] = try model.embedText(product.text) }
        let ranking = ModelFixtures.ranking(try model.embedText(query), among: texts)
        #expect(ranking[0].id == expected, "\(query): got \(ranking.prefix(3).map { "\($0.id) \($0.score)" })")
    }
}
