import Foundation

/// Parsed JSON, keeping what Foundation's `JSONSerialization` blurs on Linux: a boolean is
/// not a number (`true` is never `1`). How metadata becomes attributes and a request's
/// `filter` is read.
public indirect enum JSONValue: Sendable, Equatable, Decodable {
    /// null.
    case null
    /// true or false.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object (its keys' order is not kept).
    case object([String: JSONValue])

    /// Parses JSON text; nil when it is not JSON (or is nested deeper than `maxDepth`).
    public static func parse(_ text: String, maxDepth: Int = 32) -> JSONValue? {
        guard depth(of: text) <= maxDepth else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    /// The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it.
    public static func depth(of text: String) -> Int {
        depth(ofBytes: text.utf8)
    }

    /// The same, of JSON text's UTF-8 bytes.
    public static func depth<Bytes: Sequence<UInt8>>(ofBytes bytes: Bytes) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
