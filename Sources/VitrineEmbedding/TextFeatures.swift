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
    private(set) var colours: [[(Float, Float, Float)]] = []

    static let unigramWeight: Float = 1.0
    static let bigramWeight: Float = 0.8
    static let characterGramWeight: Float = 0.25
    static let characterGramSizes = 3...5

    /// The stopwords' token hashes.
    static let stopwordHashes: Set<UInt64> = Set(stopwords.map { StableHash.word($0) })

    /// Common English and French words that carry no product meaning.
    static let stopwords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "for", "with", "in", "on", "to", "by", "at", "from", "is", "it", "its",
        "this", "that", "as", "be", "are", "your", "our",
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "pour", "avec", "en", "au", "aux",
        "sur", "dans", "par", "ce", "cet", "cette", "ces", "son", "sa", "ses", "votre", "vos", "notre", "nos", "est",
        "qui", "que", "se", "s", "y", "ne", "pas", "plus",
    ]

    init(_ text: ProductText) {
        // Each token with its word hash, computed once (it is the unigram feature, the stopword
        // key, the bigram input and the colour-word key).
        let fields = [(text.name, ModelSpec.nameWeight), (text.description, ModelSpec.descriptionWeight),
                      (text.metadata, ModelSpec.metadataWeight)].map { field, weight in
            (TextNormalizer.tokens(field).map { ($0, StableHash.token($0, kind: 1)) }, weight)
        }
        // At most: a unigram, a bigram and 3·(length + 2) character grams per token.
        var bound = 0
        for (tokens, _) in fields {
            for (token, _) in tokens { bound += 2 + 3 * (token.count + 2) }
        }
        var table = FeatureTable(capacity: bound)
        var tokenHashes: [UInt64] = []
        var padded: [UInt32] = []
        padded.reserveCapacity(32)
        // A text made only of stopwords ("A", "Le Plus") still deserves a vector: keep them then.
        let skipStopwords = fields.contains { tokens, _ in
            tokens.contains { !Self.stopwordHashes.contains($0.1) }
        }
        for (tokens, weight) in fields where !tokens.isEmpty {
            var previous: UInt64? = nil
            for (token, unigram) in tokens {
                tokenHashes.append(unigram)
                if skipStopwords && Self.stopwordHashes.contains(unigram) { continue }
                table.add(unigram, weight, kind: 0)
                if let previous {
                    // A bigram: the two word hashes mixed, order-sensitive.
                    var bigram = StableHash(kind: 2)
                    bigram.combine(scalar: UInt32(truncatingIfNeeded: previous))
                    bigram.combine(scalar: UInt32(truncatingIfNeeded: previous >> 32))
                    bigram.combine(scalar: UInt32(truncatingIfNeeded: unigram))
                    bigram.combine(scalar: UInt32(truncatingIfNeeded: unigram >> 32))
                    table.add(bigram.finalized, weight, kind: 1)
                }
                previous = unigram
                // Character grams of "<token>", boundaries included.
                padded.removeAll(keepingCapacity: true)
                padded.append(0x3C)
                padded.append(contentsOf: token)
                padded.append(0x3E)
                padded.withUnsafeBufferPointer { scalars in
                    for size in Self.characterGramSizes where scalars.count >= size {
                        for start in 0...(scalars.count - size) {
                            var gram = StableHash(kind: 3)
                            for offset in 0..<size { gram.combine(scalar: scalars[start + offset]) }
                            table.add(gram.finalized, weight, kind: 2)
                        }
                    }
                }
            }
            tokenHashes.append(0) // fields do not run into each other
        }
        let kindWeights = [Self.unigramWeight, Self.bigramWeight, Self.characterGramWeight]
        features = table.entries.map { entry in
            let tf = entry.count
            let sublinear = tf <= 1 ? tf : Float(1 + Foundation.log(Double(tf)))
            return Feature(hash: entry.hash, weight: kindWeights[Int(entry.kind)] * sublinear)
        }
        colours = ColourWords.mentions(in: tokenHashes)
    }
}

/// An open-addressing table from feature hash to accumulated weight, sized
/// once for the most features a text can produce, in first-seen order (so the
/// projection sums in a fixed order). Storage is raw memory: this is the text
/// embedding's inner loop.
struct FeatureTable: ~Copyable {
    struct Entry {
        var hash: UInt64
        var count: Float
        var kind: UInt8
    }

    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int
    private let storage: UnsafeMutablePointer<Entry>
    private let capacity: Int
    private(set) var count = 0

    /// A table for at most `capacity` distinct features.
    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        var size = 16
        while size < self.capacity * 2 { size <<= 1 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        slots.deallocate()
        storage.deallocate()
    }

    @inline(__always)
    mutating func add(_ hash: UInt64, _ weight: Float, kind: UInt8) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 {
                precondition(count < capacity, "feature table sized too small")
                slots[slot] = Int32(count)
                (storage + count).initialize(to: Entry(hash: hash, count: weight, kind: kind))
                count += 1
                return
            }
            if storage[index].hash == hash {
                storage[index].count += weight
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// The entries in first-seen order.
    var entries: UnsafeBufferPointer<Entry> { UnsafeBufferPointer(start: storage, count: count) }
}
