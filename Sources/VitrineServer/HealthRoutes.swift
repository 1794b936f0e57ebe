import VitrineCatalog
import Foundation
import Hummingbird
import NIOCore

/// GET /health, /ready, /metrics and /openapi.yaml.
struct HealthRoutes {
    let deps: Dependencies

    func register(on router: Router<VitrineRequestContext>) {
        router.get("/health") { _, _ in try JSON.response(.ok, [("status", .string("ok"))]) }
        router.get("/ready") { _, _ in
            if deps.draining.load(ordering: .relaxed) {
                throw APIError(.serviceUnavailable, "draining", "the server is shutting down", retryAfter: 1)
            }
            // A cheap read of the database (one row), whatever its size.
            let feed = deps.storage.feed
            do { _ = try await deps.pool.run { try feed.position() } } catch {
                throw APIError.storeUnavailable(detail: "\(error)")
            }
            return try JSON.response(.ok, [("status", .string("ready")), ("model", .string(deps.model.id))])
        }
        router.get("/metrics") { _, context in
            let deps = self.deps, logger = context.logger
            let text = try await deps.pool.run { deps.metrics.render(deps, logger: logger) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/openapi.yaml") { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
                  let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw APIError(.internalServerError, "internal", "the OpenAPI document is missing from this build")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
