import Foundation

/// One attribute's value: what a filter compares and a facet counts.
public enum AttributeValue: Sendable, Hashable, Comparable {
    /// A string (compared exactly: case and accents matter, as in the catalogue).
    case string(String)
    /// A number.
    case number(Double)
    /// A boolean.
    case bool(Bool)

    /// Orders values of one type naturally, and types bools < numbers < strings (for stable facet lists).
    public static func < (lhs: AttributeValue, rhs: AttributeValue) -> Bool {
        switch (lhs, rhs) {
        case let (.bool(a), .bool(b)): return !a && b
        case let (.number(a), .number(b)): return a < b
        case let (.string(a), .string(b)): return a < b
        default: return lhs.rank < rhs.rank
        }
    }

    private var rank: Int {
        switch self {
        case .bool: 0
        case .number: 1
        case .string: 2
        }
    }

    /// The value from JSON: a string, a finite number or a boolean; nil for anything else.
    public init?(_ json: JSONValue) {
        switch json {
        case .string(let text): self = .string(text)
        case .number(let number) where number.isFinite: self = .number(number == 0 ? 0 : number) // -0 is 0
        case .bool(let flag): self = .bool(flag)
        default: return nil
        }
    }
}

/// A product's attributes: the top-level fields of its metadata when that is a JSON object —
/// strings, numbers, booleans and arrays of strings (an array holds each of its values). Other
/// fields (null, nested objects, arrays of anything else) are not attributes; free-text
/// metadata has none. Bounded: at most ``maxCount`` fields, names of at most ``maxNameBytes``,
/// strings of at most ``maxValueBytes`` (longer ones are left out), at most ``maxArrayValues``
/// values an array. The metadata itself is kept as given whatever is left out.
public struct ProductAttributes: Sendable, Equatable {
    /// Field names with their values (one for a scalar, each distinct element of an array), by name.
    public private(set) var fields: [(name: String, values: [AttributeValue])]

    /// Most fields kept.
    public static let maxCount = 64
    /// Longest field name kept, in UTF-8 bytes.
    public static let maxNameBytes = 128
    /// Longest string value kept, in UTF-8 bytes.
    public static let maxValueBytes = 512
    /// Most values of one array kept.
    public static let maxArrayValues = 64

    /// No attributes.
    public static let none = ProductAttributes(fields: [])

    /// Attributes from explicit fields (sorted by name, values deduplicated).
    public init(fields: [(name: String, values: [AttributeValue])]) {
        var merged: [String: [AttributeValue]] = [:]
        for field in fields { merged[field.name, default: []].append(contentsOf: field.values) }
        self.fields = merged.map { (name: $0.key, values: Array(Set($0.value)).sorted()) }.sorted { $0.name < $1.name }
    }

    /// The attributes of a product's metadata text.
    public init(metadata: String) {
        // Cheap refusal of free text: only an object has attributes.
        guard metadata.utf8.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "{"),
              case .object(let object)? = JSONValue.parse(metadata) else {
            self = .none
            return
        }
        var fields: [(name: String, values: [AttributeValue])] = []
        for name in object.keys.sorted() where name.utf8.count <= Self.maxNameBytes && !name.isEmpty {
            guard fields.count < Self.maxCount, let value = object[name] else { break }
            var values: [AttributeValue] = []
            switch value {
            case .array(let elements):
                guard elements.allSatisfy({ if case .string = $0 { return true } else { return false } }) else { continue }
                values = elements.compactMap(AttributeValue.init).filter(Self.keeps)
                values = Array(Set(values)).sorted().prefix(Self.maxArrayValues).map { $0 }
            default:
                if let scalar = AttributeValue(value), Self.keeps(scalar) { values = [scalar] }
            }
            if !values.isEmpty { fields.append((name, values)) }
        }
        self.fields = fields
    }

    private static func keeps(_ value: AttributeValue) -> Bool {
        if case .string(let text) = value { return text.utf8.count <= maxValueBytes }
        return true
    }

    /// The values of field `name` (empty when the product has no such attribute).
    public func values(_ name: String) -> [AttributeValue] {
        fields.first { $0.name == name }?.values ?? []
    }

    /// Whether there are none.
    public var isEmpty: Bool { fields.isEmpty }

    /// The same fields with the same values.
    public static func == (lhs: ProductAttributes, rhs: ProductAttributes) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.values == $1.values }
    }
}
