import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Small JSON responses with their keys in a fixed order.
enum JSON {
    /// A JSON value.
    indirect enum Value: Sendable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case null
        case array([Value])
        case object([(String, Value)])
    }

    static func response(_ status: HTTPResponse.Status, _ fields: [(String, Value)]) throws -> Response {
        var text = ""
        render(.object(fields), into: &text)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func render(_ value: Value, into out: inout String) {
        switch value {
        case .string(let s): quote(s, into: &out)
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
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
