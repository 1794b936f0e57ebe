import Foundation
import Testing
@testable import VitrineEmbedding
import VitrineImaging

/// The pieces of the model, one at a time.
@Suite("Features")
struct FeatureTests {
    static func decode(_ relative: String) throws -> PixelBuffer {
        try ImageDecoder().decodeFile(atPath: ModelFixtures.repository.appendingPathComponent(relative).path,
                                      targetSize: ModelSpec.decodeTarget).pixels
    }

    static func mirrored(_ pixels: PixelBuffer) -> PixelBuffer {
        var out = [UInt8](repeating: 0, count: pixels.pixels.count)
        for y in 0..<pixels.height {
            for x in 0..<pixels.width {
                let from = (y * pixels.width + x) * 3, to = (y * pixels.width + pixels.width - 1 - x) * 3
                out[to] = pixels.pixels[from]; out[to + 1] = pixels.pixels[from + 1]; out[to + 2] = pixels.pixels[from + 2]
            }
        }
        return PixelBuffer(width: pixels.width, height: pixels.height, pixels: out)
    }

    @Test("mirror pooling: an exactly mirrored picture gives the same patch descriptor")
    func mirror() throws {
        let pixels = try Self.decode("fixtures/products/images/p04.jpg")
        let a = ImageFeatures(pixels), b = ImageFeatures(Self.mirrored(pixels))
        let worst = zip(a.patches, b.patches).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
        #expect(VectorMath.dot(a.colour, b.colour) > 0.9999)
    }

    @Test("the white studio background is found and the product's box is inside it")
    func background() throws {
        let pixels = try Self.decode("fixtures/products/variants/p07--pad-square.jpg")
        let image = WorkingImage(pixels)
        let mask = BackgroundMask(image)
        let background = mask.weights.filter { $0 < 1 }.count
        #expect(Double(background) / Double(mask.weights.count) > 0.5, "most of a padded photo is background")
        #expect(mask.box.x0 > 5 && mask.box.x1 < image.width - 5, "the box hugs the lamp: \(mask.box)")
    }

    @Test("a picture with no background (a full-frame texture) uses every pixel")
    func noBackground() throws {
        let pixels = try ImageDecoder().decodeFile(atPath: ModelFixtures.repository
            .appendingPathComponent("fixtures/images/texture-256x192.jpg").path).pixels
        let mask = BackgroundMask(WorkingImage(pixels))
        #expect(mask.weights.allSatisfy { $0 == 1 })
    }

    @Test("colour histograms: a red patch lands in red bins, grey in achromatic bins")
    func colourBins() {
        func histogram(_ rgb: (Float, Float, Float)) -> [Float] { ColourWords.histogram(for: [[rgb]]) }
        let red = histogram((0.8, 0.1, 0.1)), grey = histogram((0.5, 0.5, 0.5)), blue = histogram((0.1, 0.2, 0.8))
        let achromatic = ColourSpace.chromaticBins..<ColourSpace.binCount
        #expect(grey[achromatic].reduce(0, +) > 0.99 * grey.reduce(0, +))
        #expect(red[achromatic].reduce(0, +) < 0.01)
        #expect(VectorMath.dot(red, blue) < 0.05)
        #expect(VectorMath.dot(red, histogram((0.75, 0.12, 0.15))) > 0.8, "a slightly different red stays close")
    }

    @Test("white space trimming agrees with Foundation's .whitespacesAndNewlines")
    func trimming() {
        let samples = ["", " ", "abc", "  abc  ", "\t\n abc \r\n", "\u{00A0}robe\u{3000}", "\u{2003}é l é\u{2029}",
                       "a", " a", "a ", "\u{85}x\u{85}", "x\u{200B}", "  \n\t ", "mid dle", "🙂 ", " 🙂"]
        for sample in samples {
            #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(sample.unicodeScalars))")
            #expect(sample[...].trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test("text tokens: normalised, split on punctuation, ligatures expanded")
    func tokens() {
        #expect(TextNormalizer.normalized("Chaussures de RANDONNÉE – taille 42½") == "chaussures de randonnee taille 42 1 2")
        #expect(TextNormalizer.normalized("Straße, Œuvre & Cie.") == "strasse oeuvre cie")
        #expect(TextNormalizer.normalized("e\u{301}te\u{301}") == "ete", "decomposed accents fold too")
        #expect(TextNormalizer.normalized("Ｔシャツ 赤") == "tシャツ 赤")
        #expect(TextNormalizer.tokens("   ").isEmpty)
    }

    @Test("colour words with shades are found in English and French, and 'or' alone is not gold")
    func colourWords() {
        func mentions(_ text: String) -> Int { TextFeatures(ProductText(query: text)).colours.count }
        #expect(mentions("robe rouge") == 1)
        #expect(mentions("light blue shirt") == 1)
        #expect(mentions("pull gris clair et bleu marine") == 2)
        #expect(mentions("noir ou blanc") == 2)
        #expect(mentions("rouge or noir") == 2, "'or' between colours is the conjunction")
        #expect(mentions("table basse en chêne") == 0)
        func luma(_ text: String) -> Float {
            let colours = TextFeatures(ProductText(query: text)).colours[0]
            var total: Float = 0
            for colour in colours { total += 0.299 * colour.0 + 0.587 * colour.1 + 0.114 * colour.2 }
            return total / Float(colours.count)
        }
        #expect(luma("bleu clair") > luma("bleu") && luma("bleu") > luma("bleu foncé"))
        #expect(luma("light green") > luma("green") && luma("green") > luma("dark green"))
        #expect(luma("bleu marine foncé") < luma("bleu marine"), "the modifier after a pair shades it")
    }

    @Test("colour names from the XKCD survey: at least 30, each in English and French; compounds are one colour")
    func surveyColours() {
        let pairs = [("beige", "beige"), ("navy", "marine"), ("burgundy", "bordeaux"), ("turquoise", "turquoise"),
                     ("khaki", "kaki"), ("teal", "canard"), ("gold", "doré"), ("silver", "argenté"), ("cream", "crème"),
                     ("red", "rouge"), ("orange", "orangé"), ("yellow", "jaune"), ("green", "vert"), ("blue", "bleu"),
                     ("purple", "pourpre"), ("pink", "rose"), ("brown", "marron"), ("black", "noir"), ("white", "blanc"),
                     ("grey", "gris"), ("olive", "olive"), ("lavender", "lavande"), ("mint", "menthe"), ("coral", "corail"),
                     ("salmon", "saumon"), ("mustard", "moutarde"), ("ivory", "ivoire"), ("charcoal", "anthracite"),
                     ("lilac", "lilas"), ("peach", "pêche"), ("plum", "prune"), ("rust", "rouille"), ("emerald", "émeraude"),
                     ("chocolate", "chocolat"), ("crimson", "cramoisi"), ("copper", "cuivre"), ("scarlet", "écarlate")]
        let names: [String] = pairs.compactMap { ColourWords.wordList[TextNormalizer.normalized($0.0)]?.colour }
        #expect(Set(names).count == pairs.count && pairs.count >= 30)
        for (english, french) in pairs {
            let en: String? = ColourWords.wordList[TextNormalizer.normalized(english)]?.colour
            let fr: String? = ColourWords.wordList[TextNormalizer.normalized(french)]?.colour
            #expect(en != nil && en == fr, "\(english) / \(french)")
        }
        let known = ColourWords.wordList.values.allSatisfy { ColourSurvey.entries[$0.colour] != nil }
        #expect(known)
        // "bleu marine" and "navy blue" name navy once, not blue and navy.
        for text in ["bleu marine", "navy blue", "vert olive", "olive green", "rose saumon", "bleu ciel", "sky blue"] {
            #expect(TextFeatures(ProductText(query: text)).colours.count == 1, "\(text)")
        }
        func meanBlue(_ text: String) -> Float {
            let colours = TextFeatures(ProductText(query: text)).colours[0]
            var total: Float = 0
            for colour in colours { total += colour.2 }
            return total / Float(colours.count)
        }
        let navy = meanBlue("bleu marine"), blue = meanBlue("bleu")
        #expect(navy < blue, "navy is darker than blue")
    }

    @Test("the name weighs more than the description")
    func fieldWeights() throws {
        let model = ModelFixtures.model
        let query = try model.embedText("lampe")
        let inName = try model.embedText(ProductText(name: "Lampe", description: "Un objet pour le bureau"))
        let inDescription = try model.embedText(ProductText(name: "Objet de bureau", description: "Une lampe"))
        #expect(query.similarity(to: inName) > query.similarity(to: inDescription))
    }

    @Test("a text with no words is refused; a product without an image gets its text vector")
    func products() throws {
        let model = ModelFixtures.model
        let error = #expect(throws: EmbeddingError.self) { try model.embedText("  … ") }
        #expect(error?.code == .invalidInput)
        let product = try model.embedProduct(text: ProductText(name: "Lampe de bureau"), image: nil)
        #expect(product.image == nil)
        #expect(product.fused == product.text)
    }

    @Test("fusion weights are configurable and move the fused vector between image and text")
    func fusion() throws {
        var model = ModelFixtures.model
        let image = ModelFixtures.imageVectors["p07"]!
        let text = try model.embedText("Lampe de bureau")
        let balanced = model.fuse(image: image, text: text)
        model.fusion = FusionWeights(image: 0.9, text: 0.1)
        let imageHeavy = model.fuse(image: image, text: text)
        #expect(imageHeavy.similarity(to: image) > balanced.similarity(to: image))
        #expect(imageHeavy.similarity(to: text) < balanced.similarity(to: text))
        let norm = imageHeavy.vector.reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-5)
    }

    @Test("image and text vectors share one space: a product's image is nearer its own fused vector than its text alone is to other images")
    func jointSpace() throws {
        let model = ModelFixtures.model
        for product in ModelFixtures.products {
            let image = ModelFixtures.imageVectors[product.product_id]!
            let text = try model.embedText(product.text)
            let fused = model.fuse(image: image, text: text)
            #expect(fused.similarity(to: image) > 0.5 && fused.similarity(to: text) > 0.5)
            #expect(image.vector.count == 512 && text.vector.count == 512)
            #expect(image.model == ModelSpec.id && text.model == ModelSpec.id && fused.model == ModelSpec.id)
        }
    }
}
