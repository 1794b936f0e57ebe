import ArgumentParser
import Foundation
import Logging
import VitrineCatalog
import VitrineEmbedding
import VitrineServer
import VitrineStore

/// `vitrine serve`: the HTTP API with its in-process workers.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (and run in-process job workers) until SIGTERM or Ctrl-C.",
        discussion: """
            Configuration: flags, then environment (VITRINE_HOST, VITRINE_PORT, VITRINE_DB, VITRINE_WORKERS, \
            VITRINE_API_KEY, VITRINE_MODEL), then defaults. Routes: see /openapi.yaml.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @Option(help: "Address to bind (default 127.0.0.1, or $VITRINE_HOST).")
    var host: String?

    @Option(help: "Port (default 8000, or $VITRINE_PORT; 0 picks a free one).")
    var port: Int?

    @Option(help: "In-process job workers (default: every core, or $VITRINE_WORKERS; 0 for none).")
    var workers: Int?

    @Option(help: "Require Authorization: Bearer <key> on /api/ routes (or $VITRINE_API_KEY).")
    var apiKey: String?

    @Option(help: "Largest request body, in MiB.")
    var maxBodyMib: Int = 33

    @Option(help: "Uploads accepted at once (429 above).")
    var maxConcurrentUploads: Int = 64

    @Option(help: "Hours finished jobs and their uploads are kept.")
    var retentionHours: Double = 24

    @Option(help: "Index this catalogue (CSV or JSON Lines, as index-catalog does) before serving; unchanged products are skipped.")
    var catalog: String?

    @Option(help: "With --catalog: the folder relative image paths start from (default: the catalogue's folder).")
    var imagesRoot: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.host = host ?? environment["VITRINE_HOST"] ?? configuration.host
        configuration.port = port ?? environment["VITRINE_PORT"].flatMap { Int($0) } ?? configuration.port
        configuration.workers = workers ?? environment["VITRINE_WORKERS"].flatMap { Int($0) } ?? configuration.workers
        configuration.apiKey = apiKey ?? environment["VITRINE_API_KEY"]
        configuration.maxBodyBytes = maxBodyMib << 20
        configuration.maxConcurrentUploads = maxConcurrentUploads
        configuration.jobRetention = retentionHours * 3600
        configuration.limits = try limits.decodeLimits()
        guard configuration.workers >= 0, configuration.maxBodyBytes > 0 else {
            throw ValidationError("--workers must be 0 or more and --max-body-mib positive")
        }
        let products = try store.open(automaticCheckpoints: false)
        let embedder = try model.load(limits: configuration.limits)
        if let catalog { try index(catalog, into: products, model: embedder) }
        let logger = Logger(label: "vitrine") { LineLogHandler(label: $0, level: .info) }
        let host = configuration.host
        try await VitrineServer.run(configuration: configuration, store: products, model: embedder, logger: logger) { port in
            FileHandle.standardError.write(Data("vitrine serving on http://\(host):\(port) (database \(products.path))\n".utf8))
        }
    }

    /// `--catalog`: the catalogue indexed as `index-catalog` does (resumable, bad rows
    /// reported with their row numbers), then served; bad rows do not stop the server.
    func index(_ catalog: String, into products: SQLiteProductStore, model embedder: EmbeddingModel) throws {
        let indexer = CatalogIndexer(store: products, model: embedder, jobs: ProcessInfo.processInfo.activeProcessorCount)
        let summary = try IndexCatalogCommand.index(catalog, imagesRoot: imagesRoot, with: indexer,
                                                    label: "indexing \(catalog)", onFailure: { _ in })
        SummaryPrinter.print(summary, json: false, failuresPath: nil)
        if summary.interrupted { throw ExitCode(130) }
        try products.checkpoint()
    }
}
