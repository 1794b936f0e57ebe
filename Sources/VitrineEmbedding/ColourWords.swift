/// The cross-modal bridge's vocabulary: colour words in English and French,
/// with light and dark forms, each mapped to the colours people gave that name
/// in the XKCD colour survey (``ColourSurvey``). The text
/// embedding turns them into a colour histogram — the same features an image
/// gives — and projects it with the image's colour weights, so "robe rouge"
/// lands near photos of red things whatever their text says.
enum ColourWords {
    enum Shade { case light, normal, dark }

    /// Normalised words (accents already folded) naming a colour of the survey
    /// (``ColourSurvey``), with an implied shade. English and French.
    static let wordList: [String: (colour: String, shade: Shade)] = {
        var words: [String: (String, Shade)] = [:]
        func add(_ colour: String, _ names: [String], _ shade: Shade = .normal) {
            precondition(ColourSurvey.entries[colour] != nil, "\(colour) is not a survey colour")
            for name in names { words[name] = (colour, shade) }
        }
        add("red", ["red", "rouge", "rouges"])
        add("scarlet", ["scarlet", "ecarlate", "vermillon", "vermilion"])
        add("crimson", ["crimson", "cramoisi", "cramoisie", "carmin"])
        add("cherry", ["cherry", "cerise"])
        add("burgundy", ["burgundy", "bordeaux"])
        add("wine", ["wine"])
        add("maroon", ["maroon"])
        add("blue", ["blue", "bleu", "bleue", "bleus", "bleues"])
        add("navy", ["navy", "marine"])
        add("sky blue", ["sky", "ciel"])
        add("azure", ["azure", "azur"])
        add("cobalt", ["cobalt"])
        add("denim", ["denim"])
        add("indigo", ["indigo"])
        add("turquoise", ["turquoise", "turquoises"])
        add("teal", ["teal", "canard", "sarcelle"])
        add("cyan", ["cyan"])
        add("aqua", ["aqua"])
        add("green", ["green", "vert", "verte", "verts", "vertes"])
        add("emerald", ["emerald", "emeraude"])
        add("olive", ["olive"])
        add("khaki", ["khaki", "kaki"])
        add("mint", ["mint", "menthe"])
        add("lime", ["lime"])
        add("yellow", ["yellow", "jaune", "jaunes"])
        add("lemon", ["lemon", "citron"])
        add("mustard", ["mustard", "moutarde"])
        add("ochre", ["ochre", "ocher", "ocre"])
        add("gold", ["gold", "golden", "or", "dore", "doree", "dores", "dorees"])
        add("orange", ["orange", "oranges", "orangee", "orangees", "orangy"])
        add("coral", ["coral", "corail"])
        add("salmon", ["salmon", "saumon"])
        add("peach", ["peach", "peche"])
        add("apricot", ["apricot", "abricot"])
        add("rust", ["rust", "rouille"])
        add("copper", ["copper", "cuivre", "cuivree"])
        add("bronze", ["bronze"])
        add("pink", ["pink", "rose", "roses"])
        add("fuchsia", ["fuchsia"])
        add("magenta", ["magenta"])
        add("purple", ["purple", "pourpre", "pourpres"])
        add("violet", ["violet", "violette", "violets", "violettes"])
        add("mauve", ["mauve", "mauves"])
        add("lilac", ["lilac", "lilas"])
        add("lavender", ["lavender", "lavande"])
        add("plum", ["plum", "prune"])
        add("plum", ["aubergine"], .dark)
        add("brown", ["brown", "marron", "marrons", "brun", "brune", "bruns", "brunes"])
        add("chocolate", ["chocolate", "chocolat"])
        add("mahogany", ["mahogany", "acajou"])
        add("camel", ["camel"])
        add("caramel", ["caramel", "cognac"])
        add("tan", ["tan", "fauve"])
        add("beige", ["beige", "beiges"])
        add("sand", ["sand", "sable"])
        add("taupe", ["taupe"])
        add("cream", ["cream", "creme"])
        add("ecru", ["ecru"])
        add("ivory", ["ivory", "ivoire"])
        add("black", ["black", "noir", "noire", "noirs", "noires"])
        add("white", ["white", "blanc", "blanche", "blancs", "blanches"])
        add("grey", ["grey", "gray", "gris", "grise", "grises"])
        add("charcoal", ["charcoal", "anthracite"])
        add("silver", ["silver", "argent", "argente", "argentee"])
        return words
    }()

    /// The same words keyed by their token hash (see ``StableHash/word(_:kind:)``).
    static let words: [UInt64: (colour: String, shade: Shade)] = Dictionary(
        uniqueKeysWithValues: wordList.map { (StableHash.word($0.key), $0.value) })

    /// The hash of "or", which is gold only next to a modifier (it is also the French conjunction).
    static let orHash = StableHash.word("or")

    /// Shade modifiers keyed by token hash.
    static let modifiers: [UInt64: Shade] = Dictionary(
        uniqueKeysWithValues: modifierList.map { (StableHash.word($0.key), $0.value) })

    /// Shade modifiers: English ones precede the colour, French ones follow it (either is accepted).
    static let modifierList: [String: Shade] = [
        "light": .light, "pale": .light, "clair": .light, "claire": .light, "clairs": .light, "claires": .light,
        "pastel": .light, "soft": .light,
        "dark": .dark, "deep": .dark, "fonce": .dark, "foncee": .dark, "fonces": .dark, "foncees": .dark,
        "sombre": .dark, "profond": .dark,
    ]

    /// The colours every language names first and refines after (French "bleu marine") or
    /// before (English "navy blue"): next to a more specific colour word, they give way to it.
    static let generic: Set<String> = ["red", "blue", "green", "yellow", "pink", "grey", "brown", "orange", "purple"]

    /// The colours named in a list of token hashes (0 separates fields): for each mention, the
    /// survey's sRGB colours for it (0...1). "bleu marine" and "navy blue" are one mention, navy.
    static func mentions(in tokens: [UInt64]) -> [[(Float, Float, Float)]] {
        var found: [[(Float, Float, Float)]] = []
        // The colour named at a position, if any. "or" (gold) is also the French conjunction:
        // it is a colour only next to a shade modifier ("or clair").
        func colour(at index: Int) -> (colour: String, shade: Shade)? {
            guard index >= 0, index < tokens.count, let entry = words[tokens[index]] else { return nil }
            if tokens[index] == orHash {
                let before = index > 0 ? modifiers[tokens[index - 1]] : nil
                let after = index + 1 < tokens.count ? modifiers[tokens[index + 1]] : nil
                if before == nil && after == nil { return nil }
            }
            return entry
        }
        for index in tokens.indices {
            guard let entry = colour(at: index) else { continue }
            // A generic colour beside a specific one ("bleu marine", "navy blue") gives way to it.
            if generic.contains(entry.colour),
               let neighbour = colour(at: index + 1) ?? colour(at: index - 1), !generic.contains(neighbour.colour) { continue }
            // The mention spans a colour pair ("bleu marine", "navy blue"); a shade modifier
            // right before it (English) or right after it (French) shades it.
            let start = colour(at: index - 1) != nil ? index - 1 : index
            let end = colour(at: index + 1) != nil ? index + 1 : index
            var shade = entry.shade
            if start > 0, let modifier = modifiers[tokens[start - 1]] { shade = modifier }
            if end + 1 < tokens.count, let modifier = modifiers[tokens[end + 1]] { shade = modifier }
            guard let survey = ColourSurvey.entries[entry.colour] else { continue }
            let colours: [(UInt8, UInt8, UInt8)]
            switch shade {
            case .light: colours = survey.light
            case .normal: colours = survey.normal
            case .dark: colours = survey.dark
            }
            found.append(colours.map { (Float($0.0) / 255, Float($0.1) / 255, Float($0.2) / 255) })
        }
        return found
    }

    /// The colour histogram of the named colours (each mention weighs the same, spread
    /// over its survey colours and a little lightness around each), finished like an image's.
    static func histogram(for mentions: [[(Float, Float, Float)]]) -> [Float] {
        var histogram = [Float](repeating: 0, count: ColourSpace.binCount)
        histogram.withUnsafeMutableBufferPointer { bins in
            for colours in mentions where !colours.isEmpty {
                let weight = 1 / Float(colours.count)
                for colour in colours {
                    for factor: Float in [0.85, 1.0, 1.12] {
                        ColourSpace.accumulate(r: min(colour.0 * factor, 1), g: min(colour.1 * factor, 1),
                                               b: min(colour.2 * factor, 1), weight: weight, into: bins.baseAddress!)
                    }
                }
            }
        }
        ColourSpace.finish(&histogram)
        return histogram
    }
}
