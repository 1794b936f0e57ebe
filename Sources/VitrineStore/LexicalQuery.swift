import VitrineEmbedding

/// Words to look up in the database's full-text index (SQLite's FTS5, PostgreSQL's text
/// search), folded as the text embedding folds them (``TextNormalizer``: compatibility forms,
/// case and accents), so "Crème" finds "creme". A product matches when it holds any of the
/// words; the ranking (BM25 in SQLite, `ts_rank` in PostgreSQL) rewards rare words, and the
/// whole query as a phrase counts again, so an exact phrase or a SKU spelt as several tokens
/// ("AB-123" is "ab 123") ranks first.
public struct LexicalQuery: Sendable, Equatable {
    /// The folded words, in order (at most ``maxWords``, each at most ``maxWordLength`` scalars).
    public let words: [String]

    /// Most words looked up.
    public static let maxWords = 32
    /// Longest word looked up.
    public static let maxWordLength = 64

    /// The words of `text`.
    public init(_ text: String) {
        words = TextNormalizer.tokens(text).prefix(Self.maxWords).map { scalars in
            String(String.UnicodeScalarView(scalars.prefix(Self.maxWordLength).compactMap(Unicode.Scalar.init)))
        }
    }

    /// Whether there is nothing to look up.
    public var isEmpty: Bool { words.isEmpty }

    /// The FTS5 query: the phrase, or any word (each quoted: words are letters and digits only).
    public var fts5: String {
        var clauses = words.map { "\"\($0)\"" }
        if words.count > 1 { clauses.insert("\"\(words.joined(separator: " "))\"", at: 0) }
        return clauses.joined(separator: " OR ")
    }

    /// The PostgreSQL `to_tsquery('simple', …)` text: the phrase, or any word.
    public var tsquery: String {
        var clauses = words.map { "'\($0)'" }
        if words.count > 1 { clauses.insert("(" + words.map { "'\($0)'" }.joined(separator: " <-> ") + ")", at: 0) }
        return clauses.joined(separator: " | ")
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
