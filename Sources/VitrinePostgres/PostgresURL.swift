import Foundation
import VitrineStore

/// A database URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (or `postgresql://`),
/// parsed once at the entry point; its ``description`` never shows the password.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The role to connect as.
    public var user: String
    /// Its password, when the server asks for one.
    public var password: String?
    /// The server's host name or address.
    public var host: String
    /// Its port.
    public var port: Int
    /// The database.
    public var database: String

    /// True when `text` names a PostgreSQL database rather than a file.
    public static func matches(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a URL; throws a ``StoreError`` saying what is missing.
    public init(_ text: String) throws(StoreError) {
        guard Self.matches(text), let components = URLComponents(string: text) else {
            throw StoreError(.unavailable, "\(Self.redacted(text)) is not a database URL: write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.unavailable, "the database URL \(Self.redacted(text)) names no user: write postgres://USER@HOST/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError(.unavailable, "the database URL \(Self.redacted(text)) names no host")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError(.unavailable, "the database URL \(Self.redacted(text)) names no database: end it with /DATABASE")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw StoreError(.unavailable, "the database URL's port \(port) is not a port") }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        self.port = port
        self.database = database.removingPercentEncoding ?? database
    }

    /// `postgres://USER@HOST:PORT/DATABASE`, without the password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// A URL as text with its password replaced by `***`, for messages.
    static func redacted(_ text: String) -> String {
        text.replacing(/:\/\/([^:@\/]*):[^@\/]*@/) { "://\($0.1):***@" }
    }
}
