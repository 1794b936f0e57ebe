import Foundation
import VitrineCatalog
import VitrineImaging

/// Everything the server needs to know, read once at the entry point (flags,
/// then environment, then these defaults) and passed down.
public struct ServerConfiguration: Sendable {
    /// Address to bind.
    public var host = "127.0.0.1"
    /// Port to bind (0: any free port).
    public var port = 8000
    /// In-process job workers (0: none; run `vitrine worker` processes instead).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// When set, every route but /health, /ready and the page's files needs `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Largest body of an upload (`index-product-with-image`, search by image): 413 above.
    public var maxBodyBytes = 33 << 20
    /// Largest body of every other route (forms and JSON): 413 above.
    public var maxFormBytes = 1 << 20
    /// Upload bytes held in memory at once, over all requests; an upload that
    /// would go above it is answered 429 (slow clients hold only what they sent).
    public var maxUploadMemoryBytes = 256 << 20
    /// Parts of a multipart body (400 above).
    public var maxParts = 16
    /// Header bytes of one multipart part (400 above).
    public var maxPartHeaderBytes = 8 << 10
    /// Text field and search limits, the same as the catalogue CLI's.
    public var fieldLimits = FieldLimits.default
    /// The lexical ranking's weight in `hybrid` searches that give no `hybrid_weight` (0 to 1).
    public var hybridWeight = SearchOptions.defaultLexicalWeight
    /// Threads of the one pool that runs blocking work (SQLite, decoding, embedding, search).
    public var poolThreads = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
    /// CPU-heavy requests (sync indexing, search, similar, duplicates) admitted at once,
    /// running or waiting for the pool; 429 with Retry-After above.
    public var maxPendingWork = 256
    /// Time a connection has to send a request's head (from its first byte or the end of the previous response).
    public var headerTimeout: TimeInterval = 10
    /// Time a request has to send its whole body, from the end of its head.
    public var bodyTimeout: TimeInterval = 60
    /// Time an open connection may stay silent between requests.
    public var idleTimeout: TimeInterval = 60
    /// How long a worker's claim on a job lasts without renewal (renewed five times a lease):
    /// a dead worker's jobs are taken over this long after its last renewal at most.
    public var jobLease: TimeInterval = JobWorker.defaultLease
    /// Attempts before a job fails for good.
    public var jobMaxAttempts = 5
    /// How long finished jobs (and their uploads) are kept.
    public var jobRetention: TimeInterval = 24 * 3600
    /// The longest `?wait=true` waits for a job.
    public var waitTimeout: TimeInterval = 30
    /// Image limits for uploads.
    public var limits = DecodeLimits.default
    /// The folder where search index snapshots are kept (nil: none; every start reads the store).
    public var indexSnapshots: String?
    /// How often the search indexes apply the change feed when nobody searches.
    public var indexRefreshInterval: TimeInterval = 0.2

    /// The defaults.
    public init() {}
}
