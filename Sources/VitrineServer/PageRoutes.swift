import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VitrineCatalog

/// The search page: GET / (HTML), /app.css and /app.js, plain files served from the
/// binary's resources (no build step, no framework). See Page/.
struct PageRoutes {
    /// One of the page's files, read once.
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String
    }

    static let assets: [String: Asset] = {
        var assets: [String: Asset] = [:]
        for (name, type) in [("index.html", "text/html; charset=utf-8"), ("app.css", "text/css; charset=utf-8"),
                             ("app.js", "text/javascript; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Page"),
                  let data = try? Data(contentsOf: url) else { continue }
            assets[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type,
                                 etag: "\"\(Digest.sha256(data).prefix(20))\"")
        }
        return assets
    }()

    func register(on router: Router<VitrineRequestContext>) {
        router.get("/") { request, _ in try Self.serve("index.html", request) }
        router.get("/app.css") { request, _ in try Self.serve("app.css", request) }
        router.get("/app.js") { request, _ in try Self.serve("app.js", request) }
    }

    static func serve(_ name: String, _ request: Request) throws -> Response {
        guard let asset = assets[name] else {
            throw APIError(.internalServerError, "internal", "the page's \(name) is missing from this build")
        }
        var headers: HTTPFields = [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache"]
        if request.headers[.ifNoneMatch] == asset.etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
