import VitrineStore

/// What a search asks for besides its query: which products (a ``Filter``), which page of the
/// ranking, how weak a match may be, which facets to count, and whether to fuse a lexical ranking.
public struct SearchOptions: Sendable, Equatable {
    /// Only products matching it (nil: all).
    public var filter: Filter?
    /// Results skipped (the page's start).
    public var offset = 0
    /// Results on the page.
    public var limit = 10
    /// Results scoring below it are dropped.
    public var minScore: Float?
    /// Attributes whose values are counted among the products matching the filter.
    public var facets: [String] = []
    /// Values listed per facet, the most frequent first.
    public var facetLimit = 10
    /// When set, `hybrid` ranking: the weight of the lexical ranking (0...1) in the reciprocal rank
    /// fusion with the vector ranking (see ``CatalogSearch/hybrid(text:in:options:)``).
    public var lexicalWeight: Double?

    /// The deepest a page may reach (`offset + limit`), as search engines bound it.
    public static let maxWindow = 10_000
    /// Most facets one request may ask for.
    public static let maxFacets = 16
    /// Most values listed per facet.
    public static let maxFacetLimit = 100
    /// The lexical weight when `hybrid` is asked for without one.
    public static let defaultLexicalWeight = 0.5

    /// The defaults: every product, the first 10 results, no threshold, no facets, vectors only.
    public init(filter: Filter? = nil, offset: Int = 0, limit: Int = 10, minScore: Float? = nil, facets: [String] = [],
                facetLimit: Int = 10, lexicalWeight: Double? = nil) {
        self.filter = filter
        self.offset = offset
        self.limit = limit
        self.minScore = minScore
        self.facets = facets
        self.facetLimit = facetLimit
        self.lexicalWeight = lexicalWeight
    }

    /// How many of the ranking a page needs (`offset + limit`).
    public var window: Int { offset + limit }
}

/// One page of results, with what the page's sidebar and "more results" need.
public struct SearchPage: Sendable {
    /// The page's results, in ``SearchHit/ranking`` order.
    public var hits: [SearchHit]
    /// How many products match the filter (all products without one; the product itself is not
    /// counted for `similar`).
    public var total: Int
    /// The offset of the next page, when there may be one.
    public var nextOffset: Int?
    /// Per facet asked for, its values and how many matching products hold each.
    public var facets: [(name: String, values: [(value: AttributeValue, count: Int)])]

    /// Creates a page.
    public init(hits: [SearchHit], total: Int, nextOffset: Int?, facets: [(name: String, values: [(value: AttributeValue, count: Int)])] = []) {
        self.hits = hits
        self.total = total
        self.nextOffset = nextOffset
        self.facets = facets
    }
}
