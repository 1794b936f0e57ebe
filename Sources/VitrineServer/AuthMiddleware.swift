import Hummingbird

/// `Authorization: Bearer <key>` on every route but the public ones, decided
/// by the route the router matched (never by the path's spelling): a request
/// that matched no route needs the key too, so nothing tells a caller without
/// it which routes exist. The key is compared in constant time and never logged.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]
    /// Matched routes (as registered) that need no key.
    let publicRoutes: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let route = context.endpointPath, publicRoutes.contains(route) { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "bearer "
        let given = header.utf8.count > prefix.utf8.count && header.prefix(prefix.count).lowercased() == prefix
            ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
        guard Self.constantTimeEqual(given, key) else {
            throw APIError(.unauthorized, "unauthorized", "this server needs an API key: send Authorization: Bearer <key>")
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
