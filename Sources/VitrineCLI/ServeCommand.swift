import ArgumentParser
import Foundation
import Logging
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineServer
import VitrineStore

/// `vitrine serve`: the HTTP API with its in-process workers.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (and run in-process job workers) until SIGTERM or Ctrl-C.",
        discussion: """
            Configuration: flags, then environment (VITRINE_HOST, VITRINE_PORT, VITRINE_DB, VITRINE_WORKERS, \
            VITRINE_API_KEY, VITRINE_MODEL and the VITRINE_ variable each option names), then defaults. \
            Routes: see /openapi.yaml.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @OptionGroup var fieldLimits: FieldLimitOptions

    @Option(help: "Address to bind (default 127.0.0.1, or $VITRINE_HOST).")
    var host: String?

    @Option(help: "Port (default 8000, or $VITRINE_PORT; 0 picks a free one).")
    var port: Int?

    @Option(help: "In-process job workers (default: every core, or $VITRINE_WORKERS; 0 for none).")
    var workers: Int?

    @Option(help: "Require Authorization: Bearer <key> on every route but /health, /ready and the page (or $VITRINE_API_KEY).")
    var apiKey: String?

    @Option(help: "Largest upload body, in MiB (default 33, or $VITRINE_MAX_BODY_MIB).")
    var maxBodyMib: Int?

    @Option(help: "Largest body of the other routes (forms, JSON), in KiB (default 1024, or $VITRINE_MAX_FORM_KIB).")
    var maxFormKib: Int?

    @Option(help: "Upload bytes held in memory at once, in MiB; 429 above (default 256, or $VITRINE_MAX_UPLOAD_MEMORY_MIB).")
    var maxUploadMemoryMib: Int?

    @Option(help: "Parts of a multipart body (default 16, or $VITRINE_MAX_PARTS).")
    var maxParts: Int?

    @Option(help: "Header bytes of one multipart part (default 8192, or $VITRINE_MAX_PART_HEADER_BYTES).")
    var maxPartHeaderBytes: Int?

    @Option(help: "Threads of the blocking-work pool (default: twice the cores, at least 4, or $VITRINE_POOL_THREADS).")
    var poolThreads: Int?

    @Option(help: "CPU-heavy requests admitted at once; 429 above (default 256, or $VITRINE_MAX_PENDING_WORK).")
    var maxPendingWork: Int?

    @Option(help: "Seconds a connection has to send a request's head (default 10, or $VITRINE_HEADER_TIMEOUT).")
    var headerTimeout: Double?

    @Option(help: "Seconds a request has to send its whole body (default 60, or $VITRINE_BODY_TIMEOUT).")
    var bodyTimeout: Double?

    @Option(help: "Seconds a connection may stay silent between requests (default 60, or $VITRINE_IDLE_TIMEOUT).")
    var idleTimeout: Double?

    @Option(help: "Seconds an in-process worker's claim on a job lasts without renewal (default 3, or $VITRINE_JOB_LEASE).")
    var jobLease: Double?

    @Option(help: "Hours finished jobs and tombstones are kept (default 24, or $VITRINE_RETENTION_HOURS).")
    var retentionHours: Double?

    @Option(help: "The full-text ranking's weight in hybrid searches that give none, 0 to 1 (default 0.5, or $VITRINE_HYBRID_WEIGHT).")
    var hybridWeight: Double?

    @Option(help: "Index this catalogue (CSV or JSON Lines, as index-catalog does) before serving; unchanged products are skipped.")
    var catalog: String?

    @Option(help: "With --catalog: the folder relative image paths start from (default: the catalogue's folder).")
    var imagesRoot: String?

    /// The server's configuration: flags, then environment, then defaults.
    func serverConfiguration() throws -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = try Setting.value(host, "VITRINE_HOST", c.host)
        c.port = try Setting.value(port, "VITRINE_PORT", c.port)
        c.workers = try Setting.value(workers, "VITRINE_WORKERS", c.workers)
        let key = try Setting.value(apiKey, "VITRINE_API_KEY", "")
        c.apiKey = key.isEmpty ? nil : key
        c.maxBodyBytes = try Setting.value(maxBodyMib, "VITRINE_MAX_BODY_MIB", c.maxBodyBytes >> 20) << 20
        c.maxFormBytes = try Setting.value(maxFormKib, "VITRINE_MAX_FORM_KIB", c.maxFormBytes >> 10) << 10
        c.maxUploadMemoryBytes = try Setting.value(maxUploadMemoryMib, "VITRINE_MAX_UPLOAD_MEMORY_MIB", c.maxUploadMemoryBytes >> 20) << 20
        c.maxParts = try Setting.value(maxParts, "VITRINE_MAX_PARTS", c.maxParts)
        c.maxPartHeaderBytes = try Setting.value(maxPartHeaderBytes, "VITRINE_MAX_PART_HEADER_BYTES", c.maxPartHeaderBytes)
        c.poolThreads = try Setting.value(poolThreads, "VITRINE_POOL_THREADS", c.poolThreads)
        c.maxPendingWork = try Setting.value(maxPendingWork, "VITRINE_MAX_PENDING_WORK", c.maxPendingWork)
        c.headerTimeout = try Setting.value(headerTimeout, "VITRINE_HEADER_TIMEOUT", c.headerTimeout)
        c.bodyTimeout = try Setting.value(bodyTimeout, "VITRINE_BODY_TIMEOUT", c.bodyTimeout)
        c.idleTimeout = try Setting.value(idleTimeout, "VITRINE_IDLE_TIMEOUT", c.idleTimeout)
        c.jobRetention = try Setting.value(retentionHours, "VITRINE_RETENTION_HOURS", c.jobRetention / 3600) * 3600
        c.jobLease = try Setting.value(jobLease, "VITRINE_JOB_LEASE", c.jobLease)
        guard c.jobLease >= 1 else { throw ValidationError("--job-lease must be at least 1 second") }
        c.hybridWeight = try Setting.value(hybridWeight, "VITRINE_HYBRID_WEIGHT", c.hybridWeight)
        guard (0...1).contains(c.hybridWeight) else { throw ValidationError("--hybrid-weight must be from 0 to 1") }
        c.indexSnapshots = store.snapshots?.path
        c.fieldLimits = try fieldLimits.fieldLimits()
        c.limits = try limits.decodeLimits()
        guard c.workers >= 0 else { throw ValidationError("--workers must be 0 or more") }
        guard [c.maxBodyBytes, c.maxFormBytes, c.maxUploadMemoryBytes, c.maxParts, c.maxPartHeaderBytes, c.poolThreads,
               c.maxPendingWork].allSatisfy({ $0 > 0 }),
              [c.headerTimeout, c.bodyTimeout, c.idleTimeout, c.jobRetention].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("sizes, counts and timeouts must be positive")
        }
        return c
    }

    func run() async throws {
        let configuration = try serverConfiguration()
        // PostgreSQL: a connection for each pool thread, and a few for the services.
        let storage = try store.open(automaticCheckpoints: false, connections: configuration.poolThreads + 4, waitSeconds: 60)
        let embedder = try model.load()
        if let catalog { try index(catalog, into: storage, model: embedder, limits: configuration.limits) }
        let logger = Logger(label: "vitrine") { LineLogHandler(label: $0, level: .info) }
        let host = configuration.host
        try await VitrineServer.run(configuration: configuration, storage: storage, model: embedder, logger: logger) { port in
            FileHandle.standardError.write(Data("vitrine serving on http://\(host):\(port) (database \(storage.location))\n".utf8))
        }
    }

    /// `--catalog`: the catalogue indexed as `index-catalog` does (resumable, bad rows
    /// reported with their row numbers), then served; bad rows do not stop the server.
    func index(_ catalog: String, into storage: Storage, model embedder: EmbeddingModel, limits: DecodeLimits) throws {
        let indexer = CatalogIndexer(store: storage.products, model: embedder,
                                     images: ImagePipeline(limits: limits, targetSize: ModelSpec.decodeTarget),
                                     jobs: ProcessInfo.processInfo.activeProcessorCount,
                                     limits: try fieldLimits.fieldLimits())
        let summary = try IndexCatalogCommand.index(catalog, imagesRoot: imagesRoot, with: indexer,
                                                    label: "indexing \(catalog)", onFailure: { _ in })
        SummaryPrinter.print(summary, json: false, failuresPath: nil)
        if summary.interrupted { throw ExitCode(130) }
        try storage.products.checkpoint()
    }
}
