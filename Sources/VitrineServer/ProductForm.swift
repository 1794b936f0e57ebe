import VitrineStore
import Foundation
import Hummingbird
import NIOCore
import VitrineCatalog
import VitrineEmbedding

/// The fields of a request, from any of the three body types old and new
/// clients send: `application/x-www-form-urlencoded` (Python's
/// `requests.post(url, data={...})`), `multipart/form-data` (with an `image`
/// file part) or JSON.
///
/// Form and multipart bodies are parsed as they arrive, each field checked
/// against its limit on the way: a field over its limit is refused (413
/// `field_too_large`) as soon as its limit is passed, without reading the rest,
/// and an uploaded image is held once, in the one buffer it is read into.
/// Fields the API does not know are skipped without being kept.
struct ProductForm: Sendable {
    /// The known text fields given (`product_id`, `name`, `description`, `metadata`, `query`, and the
    /// search fields of ``SearchParameters``); a JSON object or array given (`filter`, `facets`) is kept as JSON text.
    var fields: [String: String] = [:]
    /// The `image` file part, if any.
    var image: Data?
    /// Upload bytes this request holds of the server's ``UploadBudget`` (given back by the route).
    var reserved = 0

    /// What a body may hold.
    struct Limits: Sendable {
        /// The whole body (413 `too_large` above).
        var bodyBytes: Int
        /// Text fields.
        var fields: FieldLimits
        /// The `image` part, when the route takes one (nil: an image part is skipped).
        var imageBytes: Int?
        /// Parts of a multipart body.
        var parts: Int
        /// Header bytes of one part.
        var partHeaderBytes: Int
    }

    /// The byte limit of a field the API reads; nil for a field it skips.
    static func limit(of name: String, _ limits: FieldLimits) -> Int? {
        if let bytes = limits.bytes(of: name) { return bytes }
        return SearchParameters.fields[name]
    }

    /// The checked product fields (413/422 naming the field otherwise).
    func product(_ limits: FieldLimits) throws -> ProductFields {
        do throws(CatalogError) {
            return try limits.product(id: fields["product_id"], name: fields["name"], description: fields["description"],
                                      metadata: fields["metadata"])
        } catch {
            throw APIError(error)
        }
    }

    /// Reads the body of `request` within `limits`; image bytes are taken from `budget` as they arrive
    /// (429 when it is spent).
    static func read(_ request: Request, limits: Limits, budget: UploadBudget? = nil) async throws -> ProductForm {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        // A declared length over the limit is refused unread, except for a form, whose fields
        // are checked as they arrive: there the field at fault is named.
        if mediaType != "application/x-www-form-urlencoded",
           let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.bodyBytes {
            throw bodyTooLarge(limits.bodyBytes)
        }
        switch mediaType {
        case "application/x-www-form-urlencoded":
            var parser = URLEncodedParser(limits: limits.fields)
            try await stream(request, limit: limits.bodyBytes) { chunk in try parser.feed(chunk.readableBytesView) }
            try parser.finish()
            return ProductForm(fields: parser.fields)
        case "multipart/form-data":
            guard let boundary = parameter("boundary", in: contentType), (1...70).contains(boundary.utf8.count) else {
                throw APIError(.badRequest, "bad_request", "multipart/form-data needs a boundary parameter of 1 to 70 characters")
            }
            let parser = MultipartReader(boundary: boundary, limits: limits, budget: budget,
                                         declaredLength: request.headers[.contentLength].flatMap { Int($0) })
            do {
                try await stream(request, limit: limits.bodyBytes) { chunk in try parser.feed(chunk) }
                return try parser.finish()
            } catch {
                parser.releaseBudget()
                throw error
            }
        case "application/json", "":
            var body = ByteBuffer()
            try await stream(request, limit: limits.bodyBytes) { chunk in
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
            guard body.readableBytes > 0 else { throw APIError(.badRequest, "bad_request", "the request has no body") }
            return try json(body, limits: limits.fields)
        default:
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send application/x-www-form-urlencoded, multipart/form-data or application/json, not \(mediaType.prefix(100))")
        }
    }

    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "too_large", "the request body is above this route's limit of \(limit) bytes")
    }

    /// Hands the body to `consume` chunk by chunk, at most `limit` bytes in all.
    private static func stream(_ request: Request, limit: Int, _ consume: (ByteBuffer) throws -> Void) async throws {
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                guard total <= limit else { throw bodyTooLarge(limit) }
                try consume(chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            // Malformed chunked encoding, or the connection closed (a client that stalled past the body timeout).
            throw APIError(.badRequest, "bad_request", "the request body could not be read: it is not valid HTTP/1.1 or was cut off")
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

    /// Deepest nesting a JSON body may have (a request's fields are flat; metadata is shallow).
    static let maxJSONDepth = 32

    static func json(_ body: ByteBuffer, limits: FieldLimits) throws -> ProductForm {
        guard JSONValue.depth(ofBytes: body.readableBytesView) <= maxJSONDepth else {
            throw APIError(.badRequest, "bad_request", "the JSON body is nested deeper than \(maxJSONDepth) levels")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] else {
            throw APIError(.badRequest, "bad_request", "the body is not a JSON object")
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            guard let limit = limit(of: key, limits) else { continue }
            let text: String
            switch value {
            case let string as String: text = string
            case let number as NSNumber: text = number.stringValue
            case is NSNull: continue
            default:
                guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                    throw APIError(.badRequest, "bad_request", "the field \"\(key)\" cannot be read as JSON")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            guard text.utf8.count <= limit else { throw APIError.tooLarge(key, limit: limit) }
            fields[key] = text
        }
        return ProductForm(fields: fields)
    }
}

/// `application/x-www-form-urlencoded`, parsed as it arrives: '+' is a space,
/// %XX a byte, values read as UTF-8; the first of repeated fields is kept.
struct URLEncodedParser {
    let limits: FieldLimits
    private(set) var fields: [String: String] = [:]
    private var key: [UInt8] = []
    private var value: [UInt8] = []
    private var inValue = false
    /// The current field's limit (nil: skipped); known once its '=' is read.
    private var limit: Int?

    init(limits: FieldLimits) {
        self.limits = limits
    }

    mutating func feed(_ bytes: ByteBufferView) throws {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"):
                try endPair()
            case UInt8(ascii: "=") where !inValue:
                inValue = true
                limit = ProductForm.limit(of: Self.decoded(key), limits)
            default:
                if inValue {
                    guard let limit else { continue }
                    value.append(byte)
                    // An encoded byte takes at most three: past that the value is surely above its limit.
                    if value.count > 3 * limit { throw APIError.tooLarge(Self.decoded(key), limit: limit) }
                } else {
                    key.append(byte)
                    // No field the API reads has a long name: skip the pair.
                    if key.count > 64 { inValue = true; limit = nil; key = [] }
                }
            }
        }
    }

    mutating func finish() throws {
        try endPair()
    }

    private mutating func endPair() throws {
        defer { key.removeAll(keepingCapacity: true); value.removeAll(keepingCapacity: true); inValue = false; limit = nil }
        if !inValue { limit = ProductForm.limit(of: Self.decoded(key), limits) }
        guard let limit, !key.isEmpty else { return }
        let name = Self.decoded(key)
        guard fields[name] == nil else { return }
        let text = Self.decoded(value)
        guard text.utf8.count <= limit else { throw APIError.tooLarge(name, limit: limit) }
        fields[name] = text
    }

    /// Form decoding on the bytes: '+' is a space, %XX a byte; broken escapes are kept as they are.
    static func decoded(_ bytes: [UInt8]) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                      let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
