import Foundation

/// JSON with its object keys in the order given — for API answers and the
/// CLI's lines alike, so what is printed reads the way the docs show it. Each
/// object has one shape on every surface: see `JSON+Shapes.swift`.
public enum JSON {
    /// A JSON value.
    public indirect enum Value: Sendable {
        /// A string.
        case string(String)
        /// An integer.
        case int(Int)
        /// A double.
        case double(Double)
        /// A Float, printed with the fewest digits that read back to the same Float.
        case float(Float)
        /// true or false.
        case bool(Bool)
        /// null.
        case null
        /// An array.
        case array([Value])
        /// An object, keys in this order.
        case object([(String, Value)])

        /// Compact JSON text.
        public var rendered: String {
            var out = ""
            JSON.render(self, into: &out)
            return out
        }
    }

    /// Appends `value` as compact JSON to `out`.
    public static func render(_ value: Value, into out: inout String) {
        switch value {
        case .string(let s): quote(s, into: &out)
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .float(let f): out += f.isFinite ? String(f) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                render(item, into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, (key, item)) in fields.enumerated() {
                if index > 0 { out += "," }
                quote(key, into: &out)
                out += ":"
                render(item, into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ text: String, into out: inout String) {
        out += "\""
        // Most strings need no escaping: appended whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
