import Foundation
import HTTPTypes
import Hummingbird
import Logging
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

    /// Counts a background failure that no request sees (a gauge that could not be read,
    /// a retention purge, a lease renewal, a checkpoint), after it has been logged.
    func failure(_ operation: String) {
        registry.makeCounter(name: "vitrine_background_errors_total", labels: [("operation", operation)],
                             help: "Failures of background work by operation (each is logged)").increment()
    }

    /// The exposition text, with gauges refreshed from the store and the queue; a gauge that
    /// cannot be read keeps its last value, and the failure is logged and counted.
    func render(_ deps: Dependencies, logger: Logger) -> String {
        do {
            let counts = try deps.jobs.counts()
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
            registry.makeGauge(name: "vitrine_products", help: "Products stored").set(to: Double(try deps.store.count()))
            let head = try deps.storage.feed.position()
            for index in deps.indexes.status {
                registry.makeGauge(name: "vitrine_search_index_products", labels: [("kind", index.kind.rawValue)],
                                   help: "Products held by the in-memory search index").set(to: Double(index.products))
                registry.makeGauge(name: "vitrine_search_index_lag", labels: [("kind", index.kind.rawValue)],
                                   help: "Write numbers the search index has not yet applied (0: current)")
                    .set(to: Double(max(0, head - index.position)))
            }
        } catch {
            logger.error("metrics: the store could not be read", metadata: ["error": "\(error)"])
            failure("metrics")
        }
        registry.makeGauge(name: "vitrine_pool_pending", help: "Work queued or running on the blocking pool")
            .set(to: Double(deps.pool.pending))
        registry.makeGauge(name: "vitrine_admitted_requests", help: "CPU-heavy requests admitted now")
            .set(to: Double(deps.admission.current))
        registry.makeGauge(name: "vitrine_upload_bytes_held", help: "Upload bytes held in memory now")
            .set(to: Double(deps.uploads.current))
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
