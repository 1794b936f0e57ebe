import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import VitrineEmbedding

/// The fields of an index request, from any of the three body types old
/// and new clients send: `application/x-www-form-urlencoded` (Python's
/// `requests.post(url, data={...})`), `multipart/form-data` (with an `image`
/// file part for the with-image route) or JSON.
struct ProductForm: Sendable {
    var productID: String?
    var name: String?
    var description: String?
    var metadata: String?
    var image: [UInt8]?
    /// Other simple fields (search's `top_k`, `mode`).
    var extra: [String: String] = [:]

    /// Reads the body (at most `limit` bytes: 413 above).
    static func read(_ request: Request, limit: Int) async throws -> ProductForm {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        let body = try await request.body.collect(upTo: limit)
        switch mediaType {
        case "application/x-www-form-urlencoded":
            return urlEncoded(String(buffer: body))
        case "multipart/form-data":
            guard let boundary = parameter("boundary", in: contentType) else {
                throw APIError(.badRequest, "bad_request", "multipart/form-data needs a boundary parameter")
            }
            return try multipart(body, boundary: boundary)
        case "application/json", "":
            guard body.readableBytes > 0 else { throw APIError(.badRequest, "bad_request", "the request has no body") }
            return try json(body)
        default:
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send application/x-www-form-urlencoded, multipart/form-data or application/json, not \(mediaType)")
        }
    }

    /// A header parameter's value (`boundary`, `name`), without its quotes.
    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            let value = pair[1]
            return value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }

    static func urlEncoded(_ text: String) -> ProductForm {
        var fields: [String: String] = [:]
        for pair in text.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecoded(parts[0])
            if fields[key] == nil { fields[key] = parts.count > 1 ? percentDecoded(parts[1]) : "" }
        }
        return ProductForm(fields: fields, image: nil)
    }

    /// Form decoding on the bytes: '+' is a space, %XX a byte; the result is read as UTF-8.
    static func percentDecoded(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                      let first = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex), first < bytes.endIndex,
                      let second = bytes.index(index, offsetBy: 2, limitedBy: bytes.endIndex), second < bytes.endIndex,
                      let high = hex(bytes[first]), let low = hex(bytes[second]) {
                out.append(high << 4 | low)
                index = second
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func multipart(_ body: ByteBuffer, boundary: String) throws -> ProductForm {
        let parser = MultipartParser(boundary: boundary)
        var parts: [(headers: [(String, String)], body: [UInt8])] = []
        var headers: [(String, String)] = []
        var current: [UInt8] = []
        parser.onHeader = { name, value in headers.append((name.lowercased(), value)) }
        parser.onBody = { chunk in current.append(contentsOf: chunk.readableBytesView) }
        parser.onPartComplete = {
            parts.append((headers, current))
            headers = []
            current = []
        }
        do { try parser.execute(body) } catch {
            throw APIError(.badRequest, "bad_request", "the multipart body cannot be read: \(error)")
        }
        var fields: [String: String] = [:]
        var image: [UInt8]?
        for part in parts {
            guard let disposition = part.headers.first(where: { $0.0 == "content-disposition" })?.1,
                  let name = parameter("name", in: disposition) else { continue }
            if name == "image" {
                image = part.body
            } else if fields[name] == nil {
                fields[name] = String(decoding: part.body, as: UTF8.self)
            }
        }
        return ProductForm(fields: fields, image: image)
    }

    static func json(_ body: ByteBuffer) throws -> ProductForm {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] else {
            throw APIError(.badRequest, "bad_request", "the body is not a JSON object")
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let string as String: fields[key] = string
            case let number as NSNumber: fields[key] = number.stringValue
            case is NSNull: continue
            default:
                if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
                    fields[key] = String(decoding: data, as: UTF8.self)
                }
            }
        }
        return ProductForm(fields: fields, image: nil)
    }

    init(fields: [String: String], image: [UInt8]?) {
        productID = fields["product_id"]
        name = fields["name"]
        description = fields["description"]
        metadata = fields["metadata"]
        self.image = image
        extra = fields
    }

    /// The validated product fields (422 with the field's name otherwise).
    func validated() throws -> (id: String, name: String, description: String, metadata: String) {
        let id = (productID ?? "").trimmingWhitespace()
        guard !id.isEmpty else { throw APIError.missing("product_id") }
        guard id.utf8.count <= 256 else { throw APIError.invalid("product_id", "is longer than 256 bytes") }
        guard id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw APIError.invalid("product_id", "contains control characters")
        }
        let name = name ?? ""
        guard !name.trimmingWhitespace().isEmpty else { throw APIError.missing("name") }
        return (id, name, description ?? "", metadata ?? "")
    }
}
