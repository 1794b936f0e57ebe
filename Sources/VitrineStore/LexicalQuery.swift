import VitrineEmbedding

/// Words to look up in the database's full-text index (SQLite's FTS5, PostgreSQL's text
/// search), folded as the text embedding folds them (``TextNormalizer``: compatibility forms,
/// case and accents), so "Crème" finds "creme". A product matches when it holds any of the
/// words (the common ones aside: ``plan(_:)``); the ranking (BM25 in SQLite, `ts_rank` in
/// PostgreSQL) rewards rare words. A SKU spelt as several tokens ("AB-123" is "ab 123") is a
/// phrase: ``phrase`` matches only it.
public struct LexicalQuery: Sendable, Equatable {
    /// The folded words, in order (at most ``maxWords``, each at most ``maxWordLength`` scalars).
    public let words: [String]
    /// Whether only products holding the words as a phrase (in this order, side by side) match.
    public let phraseOnly: Bool

    /// A word held by more products than this is too common to rank every product holding it:
    /// see ``plan(_:)``.
    public static let commonWordProducts = 20_000

    /// Most words looked up.
    public static let maxWords = 32
    /// Longest word looked up.
    public static let maxWordLength = 64

    /// The words of `text`.
    public init(_ text: String) {
        words = TextNormalizer.tokens(text).prefix(Self.maxWords).map { scalars in
            String(String.UnicodeScalarView(scalars.prefix(Self.maxWordLength).compactMap(Unicode.Scalar.init)))
        }
        phraseOnly = false
    }

    private init(words: [String], phraseOnly: Bool) {
        self.words = words
        self.phraseOnly = phraseOnly
    }

    /// The same words, matched only as a phrase (one word: that word).
    public var phrase: LexicalQuery { LexicalQuery(words: words, phraseOnly: true) }

    /// Whether there is nothing to look up.
    public var isEmpty: Bool { words.isEmpty }

    /// How a store runs the query, given how many products hold each word (counted up to
    /// ``commonWordProducts`` + 1): ranking costs a score per matching product, so the words held
    /// by more than ``commonWordProducts`` are left out of "any word" (as stop words are: they
    /// say little) and the rarer words are ranked, every match scored. When every word is that
    /// common, the products holding all of them are ranked — the first ``commonWordProducts`` of
    /// them in row order (`scoredInRowOrder`), so a query of common words costs a bounded time.
    public func plan(_ documents: [String: Int]) -> (fts5: String, tsquery: String, scoredInRowOrder: Bool) {
        if phraseOnly { return (phraseForms.fts5, phraseForms.tsquery, false) }
        let rare = words.filter { (documents[$0] ?? 0) <= Self.commonWordProducts }
        if !rare.isEmpty {
            let unique = rare.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            return (unique.map { "\"\($0)\"" }.joined(separator: " OR "),
                    unique.map { "'\($0)'" }.joined(separator: " | "), false)
        }
        return (words.map { "\"\($0)\"" }.joined(separator: " AND "),
                words.map { "'\($0)'" }.joined(separator: " & "), true)
    }

    /// The phrase as FTS5 and PostgreSQL write it (words are letters and digits only: quoting is safe).
    private var phraseForms: (fts5: String, tsquery: String) {
        ("\"\(words.joined(separator: " "))\"", "(" + words.map { "'\($0)'" }.joined(separator: " <-> ") + ")")
    }

    /// Whether one of `texts` (a product's name, description, metadata: a phrase does not run from
    /// one into the next) holds the words as a phrase, folded as the index folds them. How a store
    /// answers a phrase among a few given rows: an index's phrase query would read the words' whole
    /// lists, which for a common word is most of the catalogue.
    public func isPhrase(in texts: [String]) -> Bool {
        guard !words.isEmpty else { return false }
        let wanted = words.map { Array($0.unicodeScalars.map(\.value)) }
        for text in texts {
            let tokens = TextNormalizer.tokens(text)
            guard tokens.count >= wanted.count else { continue }
            for start in 0...(tokens.count - wanted.count) where tokens[start] == wanted[0] {
                if (1..<wanted.count).allSatisfy({ tokens[start + $0] == wanted[$0] }) { return true }
            }
        }
        return false
    }

    /// The folded text the full-text index holds for a product's name, description and metadata.
    public static func document(_ text: String) -> String {
        TextNormalizer.normalized(text)
    }
}

/// A product the full-text index matched, with its rank score (higher is better).
public struct LexicalMatch: Sendable, Equatable {
    /// The store's row.
    public var rowID: Int64
    /// The product.
    public var productID: String
    /// BM25 (SQLite, negated so that higher is better) or `ts_rank` (PostgreSQL).
    public var score: Double

    /// Creates a match.
    public init(rowID: Int64, productID: String, score: Double) {
        self.rowID = rowID
        self.productID = productID
        self.score = score
    }
}
