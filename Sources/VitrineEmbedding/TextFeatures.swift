import Foundation

/// Hashed text features: word unigrams and bigrams and character 3- to
/// 5-grams of the normalised tokens, counted per field with the field's
/// weight, then given sublinear term weights (1 + ln tf). Each feature is a
/// 64-bit FNV-1a hash: its low 16 bits pick one of ``ModelSpec/textBuckets``
/// buckets, its top bit a sign (signed feature hashing).
struct TextFeatures {
    /// One hashed feature and its final weight.
    struct Feature {
        var hash: UInt64
        var weight: Float
    }

    private(set) var features: [Feature] = []
    /// sRGB prototypes of the colour words found (for the cross-modal bridge).
    private(set) var colours: [(Float, Float, Float)] = []

    static let unigramWeight: Float = 1.0
    static let bigramWeight: Float = 0.8
    static let characterGramWeight: Float = 0.25
    static let characterGramSizes = 3...5

    /// Common English and French words that carry no product meaning.
    static let stopwords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "for", "with", "in", "on", "to", "by", "at", "from", "is", "it", "its",
        "this", "that", "as", "be", "are", "your", "our",
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "pour", "avec", "en", "au", "aux",
        "sur", "dans", "par", "ce", "cet", "cette", "ces", "son", "sa", "ses", "votre", "vos", "notre", "nos", "est",
        "qui", "que", "se", "s", "y", "ne", "pas", "plus",
    ]

    init(_ text: ProductText) {
        var table = FeatureTable()
        var colourTokens: [String] = []
        for (field, weight) in [(text.name, ModelSpec.nameWeight), (text.description, ModelSpec.descriptionWeight),
                                (text.metadata, ModelSpec.metadataWeight)] where !field.isEmpty {
            let tokens = TextNormalizer.tokens(field)
            let words = tokens.map { String(String.UnicodeScalarView($0.compactMap(Unicode.Scalar.init))) }
            colourTokens += words
            colourTokens.append("") // fields do not run into each other
            var previous: [UInt32]? = nil
            for (token, word) in zip(tokens, words) {
                if Self.stopwords.contains(word) { continue }
                var unigram = StableHash(kind: 1)
                for scalar in token { unigram.combine(scalar: scalar) }
                table.add(unigram.finalized, weight, kind: 0)
                if let previous {
                    var bigram = StableHash(kind: 2)
                    for scalar in previous { bigram.combine(scalar: scalar) }
                    bigram.combine(scalar: 0x20)
                    for scalar in token { bigram.combine(scalar: scalar) }
                    table.add(bigram.finalized, weight, kind: 1)
                }
                previous = token
                // Character grams of "<token>", boundaries included.
                let padded = [0x3C] + token + [0x3E]
                for size in Self.characterGramSizes where padded.count >= size {
                    for start in 0...(padded.count - size) {
                        var gram = StableHash(kind: 3)
                        for offset in 0..<size { gram.combine(scalar: padded[start + offset]) }
                        table.add(gram.finalized, weight, kind: 2)
                    }
                }
            }
        }
        let kindWeights = [Self.unigramWeight, Self.bigramWeight, Self.characterGramWeight]
        features = table.entries.map { entry in
            let tf = entry.count
            let sublinear = tf <= 1 ? tf : Float(1 + Foundation.log(Double(tf)))
            return Feature(hash: entry.hash, weight: kindWeights[Int(entry.kind)] * sublinear)
        }
        colours = ColourWords.mentions(in: colourTokens)
    }
}

/// A small open-addressing table from feature hash to accumulated weight,
/// in first-seen order (so the projection sums in a fixed order).
struct FeatureTable {
    struct Entry {
        var hash: UInt64
        var count: Float
        var kind: UInt8
    }

    private(set) var entries: [Entry] = []
    private var slots = [Int32](repeating: -1, count: 256)

    mutating func add(_ hash: UInt64, _ weight: Float, kind: UInt8) {
        if entries.count * 2 >= slots.count { grow() }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = slots[slot]
            if index < 0 {
                slots[slot] = Int32(entries.count)
                entries.append(Entry(hash: hash, count: weight, kind: kind))
                return
            }
            if entries[Int(index)].hash == hash {
                entries[Int(index)].count += weight
                return
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
