import Foundation
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
    /// When set, every /api/ route needs `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Largest request body accepted (413 above).
    public var maxBodyBytes = 33 << 20
    /// Uploads accepted at once (429 above).
    public var maxConcurrentUploads = 64
    /// How long a worker's claim on a job lasts without renewal.
    public var jobLease: TimeInterval = 30
    /// Attempts before a job fails for good.
    public var jobMaxAttempts = 5
    /// How long finished jobs (and their uploads) are kept.
    public var jobRetention: TimeInterval = 24 * 3600
    /// The longest `?wait=true` waits for a job.
    public var waitTimeout: TimeInterval = 30
    /// Image limits for uploads.
    public var limits = DecodeLimits.default

    /// The defaults.
    public init() {}
}
