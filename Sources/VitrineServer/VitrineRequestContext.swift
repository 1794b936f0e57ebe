import Hummingbird
import Logging

/// The request context: Hummingbird's core storage plus the body limit, which
/// the server sets from its configuration (uploads are larger than Hummingbird's 2 MB default).
public struct VitrineRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage

    /// Creates the context for a request (Hummingbird calls this).
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Hummingbird's own decoding limit; the routes collect bodies with the
    /// server's configured limit (``ServerConfiguration/maxBodyBytes``) instead.
    public var maxUploadSize: Int { 33 << 20 }
}
