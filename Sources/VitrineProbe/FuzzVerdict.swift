import Foundation

/// What a server must do with a ``FuzzRequest``: answer (unless the bytes were
/// not HTTP at all), never with a 5xx, and every 4xx (but to HEAD) in the JSON
/// error envelope `{"status": "error", "code", "message"}`.
public enum FuzzVerdict {
    /// What is wrong with `response` to `request`, or nil when it is as it must be.
    public static func problem(_ response: RawResponse?, to request: FuzzRequest) -> String? {
        guard let response else { return request.kind == "garbage" ? nil : "closed without an answer" }
        if response.status >= 500 { return "answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))" }
        guard (400..<500).contains(response.status), request.method != "HEAD" else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              object["status"] as? String == "error", let code = object["code"] as? String, !code.isEmpty,
              let message = object["message"] as? String, !message.isEmpty else {
            return "a \(response.status) without the error envelope: \(String(decoding: response.body.prefix(200), as: UTF8.self))"
        }
        return nil
    }

    /// A line naming the request, for a report.
    public static func describe(_ request: FuzzRequest, index: Int) -> String {
        let shown = request.raw.map { String(decoding: $0.prefix(100), as: UTF8.self).debugDescription } ?? String(request.path.prefix(120))
        return "#\(index) \(request.kind) \(request.method) \(shown)"
    }
}

/// Ways of spelling a path that a router or a proxy might treat as the same path:
/// doubled and trailing slashes, dot segments, escapes of unreserved characters, case.
public enum PathSpellings {
    /// `path` (absolute, without a query) spelt fifteen ways, itself first.
    public static func of(_ path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        guard let first = segments.first else { return ["/", "//", "/./", "/x/..", "/%2e", "/?a=1"] }
        let rest = segments.dropFirst().joined(separator: "/")
        let tail = rest.isEmpty ? "" : "/" + rest
        let escaped = "%" + String(format: "%02X", first.utf8.first!) + first.dropFirst()
        return [
            path, "/" + path, "//" + first + "//" + rest, path + "/", path + "//",
            "/./" + first + tail, "/junk/../" + first + tail, "/" + first + "/./" + rest,
            "/" + escaped + tail, "/" + escaped.lowercased() + tail, "/" + first.uppercased() + tail.uppercased(),
            "/" + first.prefix(1).uppercased() + first.dropFirst() + tail, path + "?top_k=1",
            "/%2E/" + first + tail, "/" + first + "/%2e%2E/" + first + tail,
        ].map { $0.replacingOccurrences(of: "//?", with: "/?") }
    }
}
