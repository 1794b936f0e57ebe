import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import VitrineEmbedding
import VitrineStore

/// Builds Vitrine's HTTP application; the `serve` command and the tests run this same thing.
public enum VitrineServer {
    /// The router with every route and middleware.
    static func router(_ deps: Dependencies) -> Router<VitrineRequestContext> {
        let router = Router(context: VitrineRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: deps.metrics))
        router.add(middleware: ErrorMiddleware())
        if let key = deps.configuration.apiKey, !key.isEmpty {
            router.add(middleware: AuthMiddleware(key: Array(key.utf8)))
        }
        HealthRoutes(deps: deps).register(on: router)
        IndexRoutes(deps: deps).register(on: router)
        JobRoutes(deps: deps).register(on: router)
        ProductRoutes(deps: deps).register(on: router)
        OverviewRoutes(deps: deps).register(on: router)
        PageRoutes().register(on: router)
        return router
    }

    /// The application alone (no workers): for route tests.
    public static func application(configuration: ServerConfiguration, store: SQLiteProductStore, model: EmbeddingModel,
                                   logger: Logger = Logger(label: "vitrine")) -> some ApplicationProtocol {
        let deps = Dependencies(configuration: configuration, store: store, model: model)
        return Application(router: router(deps),
                           configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                serverName: "vitrine"),
                           logger: logger)
    }

    /// Runs the server with its in-process workers until SIGTERM or SIGINT,
    /// then shuts down gracefully: readiness fails first, requests in flight
    /// finish, workers finish their jobs.
    public static func run(configuration: ServerConfiguration, store: SQLiteProductStore, model: EmbeddingModel,
                           logger: Logger, onStarted: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let deps = Dependencies(configuration: configuration, store: store, model: model)
        var app = Application(router: router(deps),
                              configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                   serverName: "vitrine"),
                              onServerRunning: { channel in onStarted(channel.localAddress?.port ?? configuration.port) },
                              logger: logger)
        app.addServices(WorkerService(deps: deps, count: configuration.workers, logger: logger),
                        MaintenanceService(deps: deps, logger: logger), CheckpointService(deps: deps))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: ReadinessService(deps: deps, grace: .milliseconds(500)))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
