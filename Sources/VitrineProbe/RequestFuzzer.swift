import Foundation

/// One generated request.
public struct FuzzRequest: Sendable {
    /// What was generated: `upload`, `multipart`, `form`, `json`, `path`, `headers` or `garbage`.
    public var kind: String
    /// The method.
    public var method: String
    /// The request target (path and query).
    public var path: String
    /// Header fields besides Host, Content-Length and Connection.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]
    /// Raw bytes that replace the whole request (`garbage` only: not valid HTTP, no answer required).
    public var raw: [UInt8]?

    /// The request as sent.
    public var bytes: [UInt8] { raw ?? RawHTTP.request(method, path, headers: headers, body: body) }
}

/// Generates hostile and careless requests against Vitrine's API from a seed:
/// mutated image uploads, random multipart, form and JSON bodies (oversized,
/// deeply nested, malformed), every route's path spelt a hundred ways, odd
/// methods and headers. The same seed gives the same requests, so a failure
/// can be replayed. What a server must do with them: never crash, never answer
/// 5xx, and answer every 4xx with its JSON error envelope.
public struct RequestFuzzer {
    private var rng: SeededGenerator
    private let images: [[UInt8]]
    private let apiKey: String?
    private var known: [String] = ["p1", "a b", "é/ü", "100%", "x+y"]

    /// The API's routes, with `{id}` where an id goes.
    public static let routes: [(method: String, path: String)] = [
        ("POST", "/api/v1/index-product"), ("POST", "/api/v1/index-product-with-image"), ("GET", "/api/v1/jobs/{id}"),
        ("GET", "/api/v1/products/{id}"), ("DELETE", "/api/v1/products/{id}"), ("GET", "/api/v1/products/{id}/thumbnail"),
        ("GET", "/api/v1/products/{id}/similar"), ("POST", "/api/v1/search"), ("GET", "/api/v1/stats"),
        ("GET", "/api/v1/duplicates"), ("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("GET", "/openapi.yaml"),
        ("GET", "/"), ("GET", "/app.js"), ("GET", "/app.css"),
    ]

    /// A fuzzer drawing from `seed`, mutating `images` for uploads, sending `apiKey` on most requests when given.
    public init(seed: UInt64, images: [[UInt8]], apiKey: String? = nil) {
        rng = SeededGenerator(state: seed)
        self.images = images.isEmpty ? [[0xFF, 0xD8, 0xFF, 0xD9]] : images
        self.apiKey = apiKey
    }

    /// The next request.
    public mutating func next() -> FuzzRequest {
        var request: FuzzRequest
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<22: request = upload()
        case 22..<38: request = multipart(path: pick(["/api/v1/index-product", "/api/v1/search", "/api/v1/index-product-with-image"]))
        case 38..<54: request = form()
        case 54..<70: request = json()
        case 70..<88: request = path()
        case 88..<96: request = headers()
        default: request = garbage()
        }
        if let apiKey, chance(85) { request.headers.append(("Authorization", "Bearer \(apiKey)")) }
        return request
    }

    // MARK: kinds

    private mutating func upload() -> FuzzRequest {
        let original = pick(images), donor = pick(images)
        var image = original
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            image = ByteMutation.allCases.randomElement(using: &rng)!.apply(to: image, donor: donor, using: &rng)
        }
        var parts: [(String, String?, [UInt8])] = [("product_id", nil, Array(id().utf8)), ("name", nil, Array(text(max: 40).utf8))]
        if chance(50) { parts.append(("description", nil, Array(text(max: 200).utf8))) }
        if chance(30) { parts.append(("metadata", nil, Array(jsonText(depth: 2).utf8))) }
        parts.append(("image", "photo.jpg", image))
        let boundary = "fuzz\(UInt32.random(in: 0...UInt32.max, using: &rng))"
        return FuzzRequest(kind: "upload", method: "POST", path: "/api/v1/index-product-with-image" + (chance(10) ? "?wait=true" : ""),
                           headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                           body: multipartBody(parts, boundary: boundary), raw: nil)
    }

    private mutating func multipart(path: String) -> FuzzRequest {
        let boundary = pick(["b", "----WebKitFormBoundary7MA4YWxkTrZu0gW", String(repeating: "x", count: 70), "quote\"d", "sp ace"])
        var parts: [(String, String?, [UInt8])] = []
        for _ in 0..<Int.random(in: 0...(chance(10) ? 40 : 6), using: &rng) {
            let name = pick(["product_id", "name", "description", "metadata", "query", "top_k", "mode", "image", "other", "", "na\"me"])
            let value: [UInt8] = name == "image" && chance(60) ? pick(images) : Array(text(max: chance(10) ? 70_000 : 100).utf8)
            parts.append((name, chance(20) ? "f.bin" : nil, value))
        }
        var body = multipartBody(parts, boundary: boundary)
        if chance(10) {
            // A part header line of random bytes (high bytes in a header name once crashed a parser).
            let junk = (0..<Int.random(in: 1...12, using: &rng)).map { _ in UInt8.random(in: 0x21...0xFF, using: &rng) }
            body = Array("--\(boundary)\r\n".utf8) + junk + Array(": v\r\n\r\nx\r\n".utf8) + body
        }
        if chance(15) { body = Array(body.prefix(Int.random(in: 0...body.count, using: &rng))) }
        if chance(10) {
            // A part header that never ends.
            body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 20_000))\"".utf8) + body
        }
        let type = pick(["multipart/form-data; boundary=\(boundary)", "multipart/form-data; boundary=\"\(boundary)\"",
                         "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\""])
        return FuzzRequest(kind: "multipart", method: "POST", path: path, headers: [("Content-Type", type)], body: body, raw: nil)
    }

    private mutating func form() -> FuzzRequest {
        var pairs: [String] = []
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            let key = pick(["product_id", "name", "description", "metadata", "query", "top_k", "mode", "x", "", "%zz", "na%6De"])
            var value = percentEncoded(text(max: chance(8) ? 5_000 : 60))
            if chance(10) { value += pick(["%", "%4", "%zz", "%00", "+++", "&&", "=="]) }
            if chance(3) { value = String(repeating: "x", count: 70_000) }
            pairs.append(chance(10) ? key : "\(key)=\(value)")
        }
        return FuzzRequest(kind: "form", method: "POST", path: pick(["/api/v1/index-product", "/api/v1/search"]),
                           headers: [("Content-Type", pick(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"]))],
                           body: Array(pairs.joined(separator: "&").utf8), raw: nil)
    }

    private mutating func json() -> FuzzRequest {
        var body: String
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: body = String(repeating: "[", count: Int.random(in: 1...200_000, using: &rng))
        case 1: body = String(repeating: "{\"a\":", count: Int.random(in: 1...50_000, using: &rng)) + "1"
        case 2: body = pick(["", "null", "[]", "1", "\"s\"", "{", "{\"product_id\":", "\u{FEFF}{}", "{\"name\":\"\\ud800\"}"])
        default:
            var fields: [String] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let key = pick(["product_id", "name", "description", "metadata", "query", "top_k", "mode", "other"])
                fields.append("\"\(key)\":\(jsonText(depth: 3))")
            }
            body = "{" + fields.joined(separator: ",") + "}"
        }
        return FuzzRequest(kind: "json", method: "POST", path: pick(["/api/v1/index-product", "/api/v1/search"]),
                           headers: chance(90) ? [("Content-Type", pick(["application/json", "application/json; charset=utf-8"]))] : [],
                           body: Array(body.utf8), raw: nil)
    }

    private mutating func path() -> FuzzRequest {
        let route = pick(Self.routes)
        var path = route.path.replacingOccurrences(of: "{id}", with: percentEncoded(chance(70) ? pick(known) : id(), path: true))
        for _ in 0..<Int.random(in: 0...3, using: &rng) { path = respell(path) }
        if chance(40) {
            let key = pick(["top_k", "mode", "threshold", "wait", "q", ""])
            let value = pick(["0", "-1", "5", "1001", "99999999999999999999", "image", "text", "fused", "x", "0.0001", "0.9", "nan", "true", "%zz"])
            path += "?\(key)=\(value)"
        }
        let method = chance(80) ? route.method : pick(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "FOO"])
        return FuzzRequest(kind: "path", method: method, path: path, headers: [], body: [], raw: nil)
    }

    private mutating func headers() -> FuzzRequest {
        var request = chance(50) ? form() : path()
        request.kind = "headers"
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let name = pick(["Content-Type", "Authorization", "If-None-Match", "Accept", "X-Junk", "Content-Encoding", "Expect", "Range"])
            let value = pick(["", "*", "Bearer", "Bearer ", "bearer x", "Basic Zm9vOmJhcg==", "\"etag\"", "gzip", "100-continue",
                              "bytes=0-1", "text/plain", "multipart/form-data; boundary=", String(repeating: "v", count: 4_000), "application/json"])
            request.headers.append((name, value))
        }
        return request
    }

    private mutating func garbage() -> FuzzRequest {
        let raw = pick(["GET / HTTP/9.9\r\n\r\n", "\r\n\r\n", "GET\r\n\r\n", "POST /api/v1/search HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                        "GET /\u{0}x HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}\r\n\r\n",
                        "POST /api/v1/index-product HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                        "GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 2_000) + "\r\n",
                        "GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: a\r\n\r\n"])
        var bytes = Array(raw.utf8)
        if chance(50) { bytes = ByteMutation.bitFlips.apply(to: bytes, donor: bytes, using: &rng) }
        return FuzzRequest(kind: "garbage", method: "", path: "", headers: [], body: [], raw: bytes + Array("\r\n\r\n".utf8))
    }

    // MARK: pieces

    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }

    private mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &rng)! }

    private mutating func id() -> String {
        let id = text(max: chance(5) ? 400 : 24)
        if known.count < 64 && !id.isEmpty { known.append(id) }
        return id
    }

    private mutating func text(max: Int) -> String {
        let alphabets = ["abcdefghij ", "ÀÉÎõüßçøæ", "/%+&=?#;\"'\\", "😀🛒👗", "\u{0}\u{1}\u{7F}\t\r\n", "Robe rouge coton lampe "]
        let alphabet = Array(pick(alphabets))
        let count = Int.random(in: 0...max, using: &rng)
        return String((0..<count).map { _ in alphabet.randomElement(using: &rng)! })
    }

    private mutating func jsonText(depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &rng) {
        case 0: return "null"
        case 1: return pick(["0", "-1", "1e308", "12345678901234567890", "3.5", "true", "false"])
        case 2, 3, 4:
            let escaped = text(max: 30).unicodeScalars.map { scalar -> String in
                switch scalar {
                case "\"": return "\\\""
                case "\\": return "\\\\"
                case _ where scalar.value < 0x20: return String(format: "\\u%04x", scalar.value)
                default: return String(scalar)
                }
            }.joined()
            return "\"\(escaped)\""
        case 5: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in jsonText(depth: depth - 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int.random(in: 0...3, using: &rng)).map { index in "\"k\(index)\":\(jsonText(depth: depth - 1))" }
                .joined(separator: ",") + "}"
        }
    }

    private mutating func percentEncoded(_ text: String, path: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (scalar.properties.isAlphabetic && byte < 0x80) || (byte >= 0x30 && byte <= 0x39) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !path && byte == 0x20 {
                out += "+"
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The same path spelt another way: doubled slashes, dot segments, escapes, case, a trailing slash.
    private mutating func respell(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count > 1 else { return path }
        let index = Int.random(in: 1..<segments.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: segments.insert("", at: index)
        case 1: segments.insert(".", at: index)
        case 2: segments.insert(contentsOf: ["junk", ".."], at: index)
        case 3: segments[index] = segments[index].uppercased()
        case 4:
            segments[index] = segments[index].unicodeScalars.map { scalar -> String in
                scalar.properties.isAlphabetic && scalar.isASCII && Bool.random(using: &rng) ? String(format: "%%%02x", scalar.value) : String(scalar)
            }.joined()
        case 5: return path + "/"
        default: return "/" + path
        }
        return segments.joined(separator: "/")
    }

    private func multipartBody(_ parts: [(String, String?, [UInt8])], boundary: String) -> [UInt8] {
        Multipart.body(parts.map { name, filename, value in
            filename.map { Multipart.Part.file(name, filename: $0, value) } ?? Multipart.Part(name: name, filename: nil, contentType: "", value: value)
        }, boundary: boundary)
    }
}
