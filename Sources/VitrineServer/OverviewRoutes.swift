import Foundation
import Hummingbird
import VitrineCatalog
import VitrineStore

/// What the page's overview views read: GET /api/v1/stats (products, the job queue,
/// the latest failures) and GET /api/v1/duplicates (near-duplicate groups).
struct OverviewRoutes {
    let deps: Dependencies

    func register(on router: Router<VitrineRequestContext>) {
        router.get("/api/v1/stats") { _, _ in try await self.stats() }
        router.get("/api/v1/duplicates") { request, _ in try await self.duplicates(request) }
    }

    func stats() async throws -> Response {
        let store = deps.store, jobs = deps.jobs, indexes = deps.indexes
        let (stats, counts, failures, attributes) = try await deps.pool.api {
            (try store.stats(), try jobs.counts(), try jobs.recentFailures(limit: 10),
             try indexes.index(.fused).attributeNames(limit: 50))
        }
        return try JSON.response(.ok, [
            ("products", .int(stats.products)), ("with_image", .int(stats.withImage)),
            ("kept_uploads", .int(stats.originals)), ("kept_upload_bytes", .int(stats.originalBytes)),
            ("jobs", .object(JobStatus.allCases.map { ($0.rawValue, .int(counts[$0] ?? 0)) })),
            ("queue_depth", .int((counts[.queued] ?? 0) + (counts[.processing] ?? 0))),
            ("recent_failures", .array(failures.map(JSON.job))),
            // What the page's filters are made of: the products' attributes, the most common first.
            ("attributes", .array(attributes.map {
                .object([("name", .string($0.name)), ("products", .int($0.products)), ("values", .int($0.values))])
            })),
        ])
    }

    func duplicates(_ request: Request) async throws -> Response {
        var threshold = DuplicateFinder.defaultThreshold
        if let text = request.uri.queryParameters.get("threshold") {
            let floor = DuplicatesCache.floor
            guard text.utf8.count <= 16, let value = Float(text), value >= floor, value <= 1 else {
                throw APIError.invalid("threshold", "must be a number from \(floor) to 1")
            }
            threshold = value
        }
        // Groups among the products matching a filter: pairs whose both products match.
        var filter: Filter?
        if let text = request.uri.queryParameters.get("filter"), !text.trimmingWhitespace().isEmpty {
            do throws(CatalogError) { filter = try Filter.parse(text) } catch { throw APIError(error) }
        }
        let deps = self.deps
        let groups = try await deps.admission.admit {
            guard let filter else { return try await deps.duplicates.groups(at: threshold) }
            let index = try await deps.pool.api { try deps.indexes.index(.image) }
            return try await deps.duplicates.groups(at: threshold, among: index, filter: filter)
        }
        return try JSON.response(.ok, JSON.duplicateGroups(groups))
    }
}
