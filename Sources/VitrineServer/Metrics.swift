import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import VitrineStore

/// Prometheus metrics of one server: requests and latencies by route, plus
/// gauges read from the database at scrape time (queue depth, jobs, products).
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func record(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(name: "vitrine_http_requests_total",
                             labels: [("route", route), ("method", method), ("status", String(status))],
                             help: "HTTP requests by route, method and status").increment()
        registry.makeDurationHistogram(
            name: "vitrine_http_request_duration_seconds", labels: [("route", route), ("method", method)],
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)],
            help: "HTTP request latency by route").recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The exposition text, with gauges refreshed from the store and the queue.
    func render(store: any ProductStore, jobs: any JobQueue) -> String {
        if let counts = try? jobs.counts() {
            for (status, count) in counts {
                registry.makeGauge(name: "vitrine_jobs", labels: [("status", status.rawValue)],
                                   help: "Jobs in the database by status").set(to: Double(count))
            }
            registry.makeGauge(name: "vitrine_queue_depth", help: "Jobs waiting or running")
                .set(to: Double((counts[.queued] ?? 0) + (counts[.processing] ?? 0)))
            registry.makeGauge(name: "vitrine_jobs_processed", help: "Jobs finished successfully (within the retention period)")
                .set(to: Double(counts[.succeeded] ?? 0))
            registry.makeGauge(name: "vitrine_jobs_failed", help: "Jobs failed for good (within the retention period)")
                .set(to: Double(counts[.failed] ?? 0))
        }
        if let products = try? store.count() {
            registry.makeGauge(name: "vitrine_products", help: "Products stored").set(to: Double(products))
        }
        return registry.emitToString()
    }
}

/// Records every request's route, status and latency.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        func seconds() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        do {
            let response = try await next(request, context)
            metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                           status: response.status.code, seconds: seconds())
            return response
        } catch let error as HTTPResponseError {
            metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                           status: error.status.code, seconds: seconds())
            throw error
        }
    }
}

/// `Authorization: Bearer <key>` on every /api/ route when a key is configured,
/// compared in constant time; the key is never logged.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let given = header.hasPrefix(prefix) ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
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
