import Foundation
import HTTPTypes
import Hummingbird
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// The API's one error type: a status, a stable code and a message a person
/// can act on, always answered as `{"status": "error", "code", "message"}`.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable code (`missing_field`, `unsupported_format`, `not_found`...).
    public var code: String
    /// What went wrong and what to do.
    public var message: String
    /// Seconds after which a retry may succeed (sent as `Retry-After` with 429 and 503).
    public var retryAfter: Int?
    /// What only the log sees: a database path, SQL, a library's message.
    public var detail: String?

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil,
                detail: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.detail = detail
    }

    /// `status code: message`.
    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON envelope.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSON.response(status, [("status", .string("error")), ("code", .string(code)),
                                                  ("message", .string(message))])
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// A decoder error as the API answers it: 415 for what is not PNG/JPEG, 413 above the limits, 422 for damage.
    public init(_ error: ImagingError) {
        switch error.code {
        case .unsupportedFormat: self.init(.unsupportedMediaType, error.code.rawValue, error.message)
        case .tooLarge: self.init(.contentTooLarge, error.code.rawValue, error.message)
        case .outOfMemory: self.init(.serviceUnavailable, error.code.rawValue, error.message)
        default: self.init(.unprocessableContent, error.code.rawValue, "the image cannot be decoded: \(error.message)")
        }
    }

    /// A store failure: the database is busy or unreachable. The answer is a fixed
    /// sentence; what SQLite said goes to the log only.
    public init(_ error: StoreError) {
        self = .storeUnavailable(detail: error.description)
    }

    /// The fixed 503 of a database that cannot be used (the request id is added when answered).
    static func storeUnavailable(detail: String) -> APIError {
        APIError(.serviceUnavailable, "store_unavailable", "the database is unavailable right now; try again in a moment",
                 retryAfter: 1, detail: detail)
    }

    /// A catalogue failure (search, field checks and the like).
    public init(_ error: CatalogError) {
        switch error.code {
        case .invalidRequest: self.init(.unprocessableContent, "invalid_request", error.message)
        case .notFound: self.init(.notFound, "not_found", error.message)
        case .store: self = .storeUnavailable(detail: error.description)
        case .fieldTooLarge: self.init(.contentTooLarge, error.code.rawValue, error.message)
        // A filter is a small query language: one that does not parse is a bad request.
        case .invalidField where error.field == "filter": self.init(.badRequest, "invalid_filter", error.message)
        default: self.init(.unprocessableContent, error.code.rawValue, error.message)
        }
    }

    static func missing(_ field: String) -> APIError {
        APIError(CatalogError.missing(field))
    }

    static func tooLarge(_ field: String, limit: Int) -> APIError {
        APIError(CatalogError.tooLarge(field, limit: limit))
    }

    static func invalid(_ field: String, _ why: String) -> APIError {
        APIError(.unprocessableContent, "invalid_field", "the field \"\(field)\" \(why)")
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, "not_found", what)
    }
}

/// Turns every error into the JSON envelope: Hummingbird's own (404 for an
/// unknown route, 413 for a large body), and unexpected ones as a 500 that
/// is logged with the request id and says nothing of the internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch var error as APIError {
            // Server-side failures: the details to the log, a fixed sentence and the request id to the client.
            if let detail = error.detail {
                context.logger.error("\(error.code)", metadata: ["error": "\(detail)", "request_id": "\(context.id)"])
            }
            if error.status.code >= 500 { error.message += " (request id \(context.id))" }
            throw error
        } catch let error as HTTPResponseError {
            // Hummingbird's and NIO's own errors: 404 for an unknown route, 413 from collect(upTo:)...
            let codes: [Int: String] = [400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                                        413: "too_large", 415: "unsupported_media_type"]
            let message = (error as? HTTPError)?.body
                ?? (error.status == .contentTooLarge ? "the request body is above the size limit" : error.status.reasonPhrase)
            throw APIError(error.status, codes[error.status.code] ?? "http_\(error.status.code)", message)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "request_id": "\(context.id)"])
            throw APIError(.internalServerError, "internal", "an unexpected error occurred (request id \(context.id))")
        }
    }
}

extension APIError {
    /// Runs `body`, turning store, catalogue and image errors into API errors.
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as CatalogError {
            throw APIError(error)
        } catch let error as ImagingError {
            throw APIError(error)
        }
    }
}

extension WorkPool {
    /// `run` for a route: store, catalogue and image errors become API errors (404, 413, 503, ...).
    func api<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await APIError.mapping { try await run(body) }
    }
}
