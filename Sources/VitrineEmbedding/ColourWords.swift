/// The cross-modal bridge's vocabulary: colour words in English and French,
/// with light and dark forms, each mapped to an sRGB prototype. The text
/// embedding turns them into a colour histogram — the same features an image
/// gives — and projects it with the image's colour weights, so "robe rouge"
/// lands near photos of red things whatever their text says.
enum ColourWords {
    enum Shade { case light, normal, dark }

    /// Base colours and their light, normal and dark prototypes (sRGB 0...255).
    static let prototypes: [String: (light: (Int, Int, Int), normal: (Int, Int, Int), dark: (Int, Int, Int))] = [
        "red": ((240, 110, 110), (200, 30, 35), (120, 15, 25)),
        "blue": ((120, 170, 230), (35, 75, 200), (20, 35, 100)),
        "green": ((130, 210, 130), (40, 150, 60), (20, 80, 35)),
        "yellow": ((250, 235, 130), (240, 210, 40), (180, 150, 20)),
        "orange": ((250, 180, 110), (240, 130, 30), (180, 85, 15)),
        "pink": ((250, 190, 210), (240, 130, 170), (200, 60, 120)),
        "purple": ((180, 140, 210), (120, 50, 160), (70, 20, 100)),
        "brown": ((175, 130, 90), (120, 75, 40), (70, 40, 20)),
        "black": ((40, 40, 40), (15, 15, 15), (5, 5, 5)),
        "white": ((250, 250, 250), (245, 245, 245), (230, 230, 230)),
        "grey": ((190, 190, 190), (128, 128, 128), (70, 70, 70)),
        "beige": ((235, 220, 195), (215, 195, 160), (185, 160, 120)),
        "turquoise": ((120, 220, 215), (40, 190, 190), (20, 130, 130)),
        "gold": ((235, 205, 110), (205, 165, 50), (160, 120, 30)),
        "silver": ((215, 215, 220), (190, 190, 195), (150, 150, 155)),
    ]

    /// Normalised words (accents already folded) naming a base colour, with an implied shade.
    static let wordList: [String: (colour: String, shade: Shade)] = {
        var words: [String: (String, Shade)] = [:]
        func add(_ colour: String, _ names: [String], _ shade: Shade = .normal) {
            for name in names { words[name] = (colour, shade) }
        }
        add("red", ["red", "rouge", "rouges", "scarlet", "ecarlate", "vermillon", "vermilion"])
        add("red", ["burgundy", "bordeaux", "maroon", "carmin", "crimson", "cramoisi"], .dark)
        add("blue", ["blue", "bleu", "bleue", "bleus", "bleues", "azur", "cobalt"])
        add("blue", ["navy", "marine"], .dark)
        add("blue", ["sky", "ciel"], .light)
        add("green", ["green", "vert", "verte", "verts", "vertes", "emerald", "emeraude"])
        add("green", ["olive", "kaki", "khaki"], .dark)
        add("green", ["mint", "menthe"], .light)
        add("yellow", ["yellow", "jaune", "jaunes", "lemon", "citron", "moutarde", "mustard"])
        add("orange", ["orange", "oranges", "orangee", "corail", "coral"])
        add("pink", ["pink", "rose", "roses", "fuchsia", "magenta"])
        add("purple", ["purple", "violet", "violette", "violets", "violettes", "mauve", "lilac", "lilas", "lavender", "lavande"])
        add("purple", ["aubergine", "prune", "plum"], .dark)
        add("brown", ["brown", "marron", "marrons", "brun", "brune", "bruns", "brunes", "chocolat", "chocolate", "cognac"])
        add("brown", ["camel", "tan", "caramel", "fauve"], .light)
        add("black", ["black", "noir", "noire", "noirs", "noires"])
        add("white", ["white", "blanc", "blanche", "blancs", "blanches", "ivory", "ivoire", "ecru"])
        add("grey", ["grey", "gray", "gris", "grise", "grises", "anthracite", "charcoal"])
        add("beige", ["beige", "beiges", "sand", "sable", "taupe", "creme", "cream"])
        add("turquoise", ["turquoise", "turquoises", "teal", "cyan"])
        add("gold", ["gold", "golden", "or", "dore", "doree", "dores", "dorees"])
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
        // Also colours of their own, but modifiers right after a colour: "bleu marine", "bleu ciel".
        "marine": .dark, "navy": .dark, "ciel": .light, "sky": .light,
    ]

    /// The colours named in a list of token hashes (0 separates fields), as sRGB prototypes in 0...1.
    static func mentions(in tokens: [UInt64]) -> [(Float, Float, Float)] {
        var found: [(Float, Float, Float)] = []
        for (index, token) in tokens.enumerated() {
            guard let entry = words[token] else { continue }
            // "marine" in "bleu marine" shades the blue before it; it is not a second colour.
            if index > 0, modifiers[token] != nil, words[tokens[index - 1]] != nil { continue }
            // "or" (gold) is also the French conjunction: only count it next to a colour modifier.
            if token == orHash && !(index > 0 && modifiers[tokens[index - 1]] != nil) { continue }
            var shade = entry.shade
            if index > 0, let modifier = modifiers[tokens[index - 1]] { shade = modifier }
            if index + 1 < tokens.count, let modifier = modifiers[tokens[index + 1]] { shade = modifier }
            guard let prototype = prototypes[entry.colour] else { continue }
            let rgb: (Int, Int, Int)
            switch shade {
            case .light: rgb = prototype.light
            case .normal: rgb = prototype.normal
            case .dark: rgb = prototype.dark
            }
            found.append((Float(rgb.0) / 255, Float(rgb.1) / 255, Float(rgb.2) / 255))
        }
        return found
    }

    /// The colour histogram of the named colours (each a small spread of
    /// lightness around its prototype), finished like an image's.
    static func histogram(for colours: [(Float, Float, Float)]) -> [Float] {
        var histogram = [Float](repeating: 0, count: ColourSpace.binCount)
        histogram.withUnsafeMutableBufferPointer { bins in
            for colour in colours {
                for factor: Float in [0.85, 1.0, 1.12] {
                    ColourSpace.accumulate(r: min(colour.0 * factor, 1), g: min(colour.1 * factor, 1),
                                           b: min(colour.2 * factor, 1), weight: 1, into: bins.baseAddress!)
                }
            }
        }
        ColourSpace.finish(&histogram)
        return histogram
    }
}
