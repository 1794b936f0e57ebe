import Foundation
import VitrineStore

/// Which products a search, a `similar` or a duplicates request considers, by their attributes
/// (``ProductAttributes``). Written as JSON, an object whose keys must all hold:
///
/// - `{"brand": "Acme"}` — equality (a string, number or boolean; for an array attribute, membership);
///   `{"brand": {"eq": "Acme"}}` is the same;
/// - `{"brand": {"in": ["Acme", "Zed"]}}` — any of the values;
/// - `{"price": {"gte": 10, "lt": 50}}` — a range (`gt`, `gte`, `lt`, `lte`; numbers only);
/// - `{"colour": {"exists": true}}` — has the attribute (`false`: has not);
/// - `{"not": {...}}`, `{"or": [{...}, ...]}`, `{"and": [{...}, ...]}`.
///
/// A product without the attribute matches no comparison (and so matches its `not`). Strings
/// compare exactly; `10` and `"10"` differ. Bounded: ``maxBytes`` of JSON, ``maxDepth`` levels,
/// ``maxClauses`` comparisons, ``maxValues`` values in one `in`.
public indirect enum Filter: Sendable, Equatable {
    /// Every filter holds (`{}`: every product).
    case all([Filter])
    /// At least one holds.
    case any([Filter])
    /// It does not hold.
    case not(Filter)
    /// The attribute has this value.
    case equals(String, AttributeValue)
    /// The attribute has one of these values.
    case oneOf(String, [AttributeValue])
    /// The attribute has a number within the bounds.
    case range(String, lower: Bound?, upper: Bound?)
    /// The product has (true) or has not (false) the attribute.
    case exists(String, Bool)

    /// A range's end.
    public struct Bound: Sendable, Equatable {
        /// The number.
        public var value: Double
        /// Whether the number itself is within.
        public var inclusive: Bool

        /// Creates a bound.
        public init(_ value: Double, inclusive: Bool) {
            self.value = value
            self.inclusive = inclusive
        }
    }

    /// Largest filter text.
    public static let maxBytes = 16 << 10
    /// Deepest nesting of `not`/`or`/`and`.
    public static let maxDepth = 8
    /// Most comparisons in one filter.
    public static let maxClauses = 256
    /// Most values of one `in`.
    public static let maxValues = 1_024

    /// Whether a product with `attributes` matches: the definition of the semantics (searches
    /// evaluate filters on the index's posting lists instead, with the same result).
    public func matches(_ attributes: ProductAttributes) -> Bool {
        switch self {
        case .all(let filters): return filters.allSatisfy { $0.matches(attributes) }
        case .any(let filters): return filters.contains { $0.matches(attributes) }
        case .not(let filter): return !filter.matches(attributes)
        case let .equals(name, value): return attributes.values(name).contains(value)
        case let .oneOf(name, values): return attributes.values(name).contains { values.contains($0) }
        case let .range(name, lower, upper): return attributes.values(name).contains { Self.within($0, lower, upper) }
        case let .exists(name, wanted): return attributes.values(name).isEmpty != wanted
        }
    }

    /// Whether the filter is `{}` (every product).
    public var isEverything: Bool {
        if case .all(let filters) = self { return filters.allSatisfy(\.isEverything) }
        return false
    }

    static func within(_ value: AttributeValue, _ lower: Bound?, _ upper: Bound?) -> Bool {
        guard case .number(let number) = value else { return false }
        if let lower, lower.inclusive ? number < lower.value : number <= lower.value { return false }
        if let upper, upper.inclusive ? number > upper.value : number >= upper.value { return false }
        return true
    }

    // MARK: - Evaluation on an index

    /// The slots among `live` that match, from the posting lists of `index`.
    func evaluate(in index: AttributeIndex, live: Bitset) -> Bitset {
        switch self {
        case .all(let filters):
            var result = live
            for filter in filters {
                result.formIntersection(filter.evaluate(in: index, live: live))
                if result.isEmpty { break }
            }
            return result
        case .any(let filters):
            var result = Bitset(capacity: 0)
            for filter in filters { result.formUnion(filter.evaluate(in: index, live: live)) }
            result.formIntersection(live)
            return result
        case .not(let filter):
            var result = live
            result.subtract(filter.evaluate(in: index, live: live))
            return result
        case let .equals(name, value):
            var result = Bitset(capacity: live.words.count * 64)
            index.addSlots(name, value: value, to: &result)
            result.formIntersection(live)
            return result
        case let .oneOf(name, values):
            var result = Bitset(capacity: live.words.count * 64)
            for value in Set(values) { index.addSlots(name, value: value, to: &result) }
            result.formIntersection(live)
            return result
        case let .range(name, lower, upper):
            var result = Bitset(capacity: live.words.count * 64)
            index.addSlots(name, to: &result) { Self.within($0, lower, upper) }
            result.formIntersection(live)
            return result
        case let .exists(name, wanted):
            var having = Bitset(capacity: live.words.count * 64)
            index.addSlots(having: name, to: &having)
            if wanted {
                having.formIntersection(live)
                return having
            }
            var result = live
            result.subtract(having)
            return result
        }
    }

    // MARK: - Parsing

    /// Parses a filter's JSON text; a ``CatalogError/Code/invalidField`` error naming the part at
    /// fault (`filter.price.gte must be a number`) when it is not a filter.
    public static func parse(_ text: String) throws(CatalogError) -> Filter {
        guard text.utf8.count <= maxBytes else { throw CatalogError.tooLarge("filter", limit: maxBytes) }
        guard JSONValue.depth(of: text) <= 2 * maxDepth + 2 else {
            throw invalid("filter", "is nested deeper than \(maxDepth) levels of not/or/and")
        }
        guard let json = JSONValue.parse(text, maxDepth: 2 * maxDepth + 2) else {
            throw invalid("filter", "is not JSON: write an object such as {\"brand\": \"Acme\", \"price\": {\"lt\": 50}}")
        }
        var clauses = 0
        return try parse(json, path: "filter", depth: 0, clauses: &clauses)
    }

    /// Parses a filter given as JSON.
    public static func parse(_ json: JSONValue) throws(CatalogError) -> Filter {
        var clauses = 0
        return try parse(json, path: "filter", depth: 0, clauses: &clauses)
    }

    static func invalid(_ path: String, _ problem: String) -> CatalogError {
        CatalogError(.invalidField, "\(path) \(problem)", field: "filter")
    }

    private static func parse(_ json: JSONValue, path: String, depth: Int, clauses: inout Int) throws(CatalogError) -> Filter {
        guard depth <= maxDepth else { throw invalid(path, "is nested deeper than \(maxDepth) levels of not/or/and") }
        guard case .object(let object) = json else {
            throw invalid(path, "must be an object of attribute names and conditions, such as {\"brand\": \"Acme\"}")
        }
        var filters: [Filter] = []
        for key in object.keys.sorted() {
            let value = object[key]!, here = "\(path).\(key)"
            switch key {
            case "not":
                filters.append(.not(try parse(value, path: here, depth: depth + 1, clauses: &clauses)))
            case "or", "and":
                guard case .array(let items) = value, !items.isEmpty else {
                    throw invalid(here, "must be a non-empty array of filter objects")
                }
                var parts: [Filter] = []
                for (position, item) in items.enumerated() {
                    parts.append(try parse(item, path: "\(here)[\(position)]", depth: depth + 1, clauses: &clauses))
                }
                filters.append(key == "or" ? .any(parts) : .all(parts))
            default:
                guard !key.isEmpty, key.utf8.count <= ProductAttributes.maxNameBytes else {
                    throw invalid(here, "is not an attribute name (1 to \(ProductAttributes.maxNameBytes) bytes)")
                }
                filters.append(contentsOf: try condition(key, value, path: here, clauses: &clauses))
            }
        }
        return filters.count == 1 ? filters[0] : .all(filters)
    }

    private static let operators = "eq, in, gt, gte, lt, lte, exists"

    private static func condition(_ name: String, _ json: JSONValue, path: String, clauses: inout Int) throws(CatalogError) -> [Filter] {
        clauses += 1
        guard clauses <= maxClauses else { throw invalid("filter", "has more than \(maxClauses) conditions") }
        switch json {
        case .object(let operations):
            guard !operations.isEmpty else { throw invalid(path, "is an empty object: give one of \(operators)") }
            var filters: [Filter] = []
            var lower: Bound?, upper: Bound?
            for op in operations.keys.sorted() {
                let operand = operations[op]!, here = "\(path).\(op)"
                switch op {
                case "eq":
                    filters.append(.equals(name, try scalar(operand, path: here)))
                case "in":
                    guard case .array(let items) = operand else { throw invalid(here, "must be an array of values") }
                    guard items.count <= maxValues else { throw invalid(here, "has more than \(maxValues) values") }
                    var values: [AttributeValue] = []
                    for (position, item) in items.enumerated() { values.append(try scalar(item, path: "\(here)[\(position)]")) }
                    filters.append(.oneOf(name, values))
                case "gt", "gte", "lt", "lte":
                    guard case .number(let number) = operand, number.isFinite else { throw invalid(here, "must be a number") }
                    let bound = Bound(number, inclusive: op.hasSuffix("e"))
                    if op.hasPrefix("g") { lower = bound } else { upper = bound }
                case "exists":
                    guard case .bool(let wanted) = operand else { throw invalid(here, "must be true or false") }
                    filters.append(.exists(name, wanted))
                default:
                    throw invalid(path, "has an unknown operator \"\(op.prefix(64))\" (use \(operators), or put not/or around conditions)")
                }
            }
            if lower != nil || upper != nil { filters.append(.range(name, lower: lower, upper: upper)) }
            return filters
        case .array:
            throw invalid(path, "is an array: to match any of several values write {\"in\": [...]}")
        default:
            return [.equals(name, try scalar(json, path: path))]
        }
    }

    private static func scalar(_ json: JSONValue, path: String) throws(CatalogError) -> AttributeValue {
        guard let value = AttributeValue(json) else {
            throw invalid(path, "must be a string, a number or true/false")
        }
        return value
    }
}
