import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// The one error type of the catalogue layer: what stops a whole command
/// (an unreadable catalogue, a database that cannot be written). Problems
/// with single rows are ``RowFailure``s, reported and never fatal.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    /// Stable reasons.
    public enum Code: String, Sendable {
        /// The catalogue file cannot be read or parsed (missing, bad header, broken quoting).
        case badCatalog = "bad_catalog"
        /// The store failed.
        case store
        /// The model failed (not loaded, mismatched).
        case model
        /// A request that cannot be answered (an unknown product for --like, an empty query...).
        case invalidRequest = "invalid_request"
        /// The product asked for is not stored.
        case notFound = "not_found"
        /// Nothing to work on (no products with the needed vectors).
        case empty
        /// A required field is absent or blank.
        case missingField = "missing_field"
        /// A field's value is not acceptable (control characters in an id, a bad number...).
        case invalidField = "invalid_field"
        /// A field is above its limit (``FieldLimits``).
        case fieldTooLarge = "field_too_large"
    }

    /// Why.
    public var code: Code
    /// A sentence for a person, naming the file, row or product.
    public var message: String
    /// The field at fault, for the field codes.
    public var field: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// A required field that is absent or blank.
    public static func missing(_ field: String) -> CatalogError {
        CatalogError(.missingField, "the field \"\(field)\" is required", field: field)
    }

    /// A field above its limit.
    public static func tooLarge(_ field: String, limit: Int) -> CatalogError {
        CatalogError(.fieldTooLarge, "the field \"\(field)\" is longer than its limit of \(limit) bytes", field: field)
    }

    /// Wraps a store error.
    public init(_ error: StoreError) { self.init(.store, error.description) }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// One catalogue row that could not be indexed, and why.
public struct RowFailure: Error, Sendable, Equatable {
    /// The row number in the file (CSV: the header is row 1; JSON Lines: the line number).
    public var row: Int
    /// The product id, when the row had one.
    public var productID: String?
    /// A stable reason code (`missing_field`, `image_missing`, `truncated`, `too_large`...).
    public var code: String
    /// A sentence for a person.
    public var reason: String

    /// Creates a failure.
    public init(row: Int, productID: String?, code: String, reason: String) {
        self.row = row
        self.productID = productID
        self.code = code
        self.reason = reason
    }
}
