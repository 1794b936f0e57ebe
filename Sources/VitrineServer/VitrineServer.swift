import VitrineCatalog
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import VitrineEmbedding
import VitrineStore

/// Builds Vitrine's HTTP application; the `serve` command and the tests run this same thing.
public enum VitrineServer {
    /// The routes that need no API key, as the router registers them: health,
    /// readiness and the page's files (the page asks for the key itself).
    static let publicRoutes: Set<String> = ["/health", "/ready", "/", "/app.css", "/app.js"]

    /// The router with every route and middleware. Constant path segments match
    /// in any case; parameters keep theirs.
    static func router(_ deps: Dependencies) -> Router<VitrineRequestContext> {
        let router = Router(context: VitrineRequestContext.self, options: .caseInsensitive)
        router.add(middleware: MetricsMiddleware(metrics: deps.metrics))
        router.add(middleware: ErrorMiddleware())
        if let key = deps.configuration.apiKey, !key.isEmpty {
            router.add(middleware: AuthMiddleware(key: Array(key.utf8), publicRoutes: publicRoutes))
        }
        HealthRoutes(deps: deps).register(on: router)
        IndexRoutes(deps: deps).register(on: router)
        JobRoutes(deps: deps).register(on: router)
        ProductRoutes(deps: deps).register(on: router)
        OverviewRoutes(deps: deps).register(on: router)
        PageRoutes().register(on: router)
        return router
    }

    /// The application on `deps`: requests routed by their canonical path, connections
    /// closed when their client stalls.
    static func application(_ deps: Dependencies, logger: Logger,
                            onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> Application<CanonicalPathResponder<RouterResponder<VitrineRequestContext>>> {
        let configuration = deps.configuration
        let timeouts = (header: TimeAmount.interval(configuration.headerTimeout), body: TimeAmount.interval(configuration.bodyTimeout),
                        idle: TimeAmount.interval(configuration.idleTimeout))
        let router = router(deps)
        let routes = RouteTable(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
        return Application(
            responder: CanonicalPathResponder(inner: router.buildResponder(), routes: routes),
            server: .http1(configuration: .init(additionalChannelHandlers: [
                ConnectionGuard(header: timeouts.header, body: timeouts.body, idle: timeouts.idle),
            ])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vitrine"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// The application alone (no workers, no background services): for route tests.
    public static func application(configuration: ServerConfiguration, storage: Storage, model: EmbeddingModel,
                                   logger: Logger = Logger(label: "vitrine")) -> some ApplicationProtocol {
        application(Dependencies(configuration: configuration, storage: storage, model: model), logger: logger)
    }

    /// Runs the server until SIGTERM or SIGINT, then shuts down gracefully: readiness fails
    /// first, requests in flight finish, workers finish their batches, the WAL is checkpointed
    /// and the search indexes' snapshots saved. The service tree (one ServiceGroup):
    ///
    ///     ServiceGroup (SIGTERM, SIGINT)
    ///     ├── Application (HTTP) with its services:
    ///     │   ├── NotificationService  LISTEN/NOTIFY (PostgreSQL) → workers, indexes
    ///     │   ├── JobWorkerService   in-process job workers (child tasks)
    ///     │   ├── IndexRefreshService  search indexes ← change feed
    ///     │   ├── RetentionService   finished jobs, tombstones
    ///     │   └── CheckpointService  WAL checkpoints (SQLite)
    ///     └── ReadinessService       /ready → 503 first on shutdown
    ///
    /// Blocking work of all of them runs on the one ``WorkPool``.
    public static func run(configuration: ServerConfiguration, storage: Storage, model: EmbeddingModel,
                           logger: Logger, onStarted: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let deps = Dependencies(configuration: configuration, storage: storage, model: model)
        var app = application(deps, logger: logger) { channel in onStarted(channel.localAddress?.port ?? configuration.port) }
        let metrics = deps.metrics
        let failure: @Sendable (String) -> Void = { metrics.failure($0) }
        let workers = deps.workers(logger: logger)
        // A store that notifies (PostgreSQL) wakes workers and indexes; they poll slowly as a fallback.
        let notified = storage.notifications != nil
        if let notifications = storage.notifications {
            app.addServices(NotificationService(notifications: notifications, workers: deps.wakeup, workerCount: workers.count,
                                                indexes: deps.changes, logger: logger))
        }
        app.addServices(
            JobWorkerService(workers: workers, wakeup: deps.wakeup, idleWait: notified ? .seconds(1) : .milliseconds(50), logger: logger),
            IndexRefreshService(indexes: deps.indexes, pool: deps.pool, interval: .interval(configuration.indexRefreshInterval),
                                wakeup: notified ? deps.changes : nil, logger: logger, onFailure: failure),
            RetentionService(jobs: storage.jobs, pool: deps.pool, retention: configuration.jobRetention, logger: logger,
                             onFailure: failure),
            CheckpointService(store: storage.products, pool: deps.pool, logger: logger, onFailure: failure))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: ReadinessService(deps: deps, grace: .milliseconds(500)))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension Duration {
    /// A duration from seconds.
    static func interval(_ seconds: TimeInterval) -> Duration { .nanoseconds(Int64(seconds * 1e9)) }
}

extension TimeAmount {
    /// A whole number of nanoseconds from seconds.
    static func interval(_ seconds: TimeInterval) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
