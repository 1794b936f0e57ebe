import Foundation
import Hummingbird

/// One spelling per path, before routing (RFC 3986 §6.2.2): percent-escapes of
/// unreserved characters decoded and the others' hex upper-cased, empty and
/// `.` segments dropped, `..` segments resolved, no trailing slash. Together
/// with case-insensitive matching of the router's constant segments, every
/// spelling of a route reaches that route — and its authorisation. Escapes of
/// reserved characters (`%2F`, `%25`, `%2B`…) stay escaped: they are data,
/// decoded only when a route reads its parameter (``PathParameter``).
enum CanonicalPath {
    /// The canonical form of `path` (without its query), or nil when it holds a broken escape.
    static func canonical(_ path: Substring) -> String? {
        let bytes = Array(path.utf8)
        // The common case: nothing to change.
        if !bytes.contains(UInt8(ascii: "%")) && !needsSegmentWork(bytes) { return String(path) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { return nil }
            let value = high << 4 | low
            if isUnreserved(value) {
                decoded.append(value)
            } else {
                decoded.append(contentsOf: [UInt8(ascii: "%"), upperHex(high), upperHex(low)])
            }
            index += 3
        }
        var segments: [ArraySlice<UInt8>] = []
        for segment in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        var out: [UInt8] = []
        out.reserveCapacity(decoded.count + 1)
        for segment in segments {
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: segment)
        }
        if out.isEmpty { out.append(UInt8(ascii: "/")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Doubled slashes, a trailing slash, or a `.`/`..` segment.
    private static func needsSegmentWork(_ bytes: [UInt8]) -> Bool {
        guard bytes.first == UInt8(ascii: "/") else { return true }
        if bytes.count > 1 && bytes.last == UInt8(ascii: "/") { return true }
        for index in 1..<max(1, bytes.count) where bytes[index - 1] == UInt8(ascii: "/") {
            if bytes[index] == UInt8(ascii: "/") || bytes[index] == UInt8(ascii: ".") { return true }
        }
        return false
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func upperHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}

/// Routes each request by its canonical path (``CanonicalPath``); a path with
/// a broken escape is answered 400 without being routed, and a path that a
/// route has under other methods only is answered 405 with `Allow`.
struct CanonicalPathResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: RequestContext {
    let inner: Inner
    let routes: RouteTable

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        let raw = request.head.path ?? "/"
        let query = raw.firstIndex(of: "?")
        let path = raw[..<(query ?? raw.endIndex)]
        guard let canonical = CanonicalPath.canonical(path) else {
            return try APIError(.badRequest, "bad_request", "the path has a broken percent-escape (write % as %25)")
                .response(from: request, context: context)
        }
        var routed = request
        if canonical != path {
            var head = request.head
            head.path = canonical + (query.map { String(raw[$0...]) } ?? "")
            routed = Request(head: head, body: request.body)
        }
        let response = try await inner.respond(to: routed, context: context)
        // No route for this method: if others exist for the path, say which (the key was checked already).
        if response.status == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound" {
            let allowed = routes.methods(for: canonical)
            if !allowed.isEmpty {
                var error = try APIError(.methodNotAllowed, "method_not_allowed",
                                         "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))")
                    .response(from: request, context: context)
                error.headers[.allow] = allowed.joined(separator: ", ")
                return error
            }
        }
        return response
    }
}

/// The registered routes by path pattern, to tell "no such path" (404) from "not with this method" (405).
struct RouteTable: Sendable {
    private let patterns: [(segments: [String], methods: [String])]

    init(_ routes: [(path: String, method: String)]) {
        var byPath: [String: [String]] = [:]
        for route in routes { byPath[route.path.lowercased(), default: []].append(route.method) }
        patterns = byPath.map { (path, methods) in
            (path.split(separator: "/").map(String.init), Array(Set(methods)).sorted())
        }
    }

    /// The methods of the routes whose pattern matches `path` (constant segments in any case).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/").map { $0.lowercased() }
        var methods = Set<String>()
        for pattern in patterns where pattern.segments.count == segments.count {
            if zip(pattern.segments, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { methods.formUnion(pattern.methods) }
        }
        return methods.sorted()
    }
}

/// A route's path parameter as data: percent-decoded (so an id may hold
/// spaces, accents, `/`, `%`, `+` or emoji) and checked against its limit.
enum PathParameter {
    /// The decoded parameter `name` of the matched route.
    static func decoded(_ name: String, _ context: some RequestContext, limit: Int) throws -> String {
        let raw = try context.parameters.require(name)
        guard raw.utf8.count <= 3 * limit + 3 else { throw APIError.tooLarge(name, limit: limit) }
        guard let value = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "bad_request", "the \(name) in the path has a broken percent-escape")
        }
        guard value.utf8.count <= limit else { throw APIError.tooLarge(name, limit: limit) }
        return value
    }
}
