/// The one error type of the storage layer.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable reasons.
    public enum Code: String, Sendable {
        /// The database file could not be opened or created.
        case unavailable
        /// A query or a write failed (the message holds SQLite's reason).
        case failed
        /// A stored value is not what this version of Vitrine wrote (a bad vector blob...).
        case corrupt
        /// The database's schema is newer than this version of Vitrine knows (or the location is not a database).
        case incompatible
    }

    /// Why it failed.
    public var code: Code
    /// A sentence for a person, with the database path or product where it helps.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
