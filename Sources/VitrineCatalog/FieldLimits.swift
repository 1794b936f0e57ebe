import VitrineStore

/// How large each text field of a product, and each search request, may be.
/// The server and the catalogue CLI check the same limits, before any work is
/// done, so a 27 MB name costs nothing but its refusal.
///
/// Sizes are in UTF-8 bytes. The defaults suit a product catalogue: a SKU-like
/// id, a title, a long HTML-free description, a metadata JSON object.
public struct FieldLimits: Sendable, Equatable {
    /// `product_id`, in bytes (default 256).
    public var productID = 256
    /// `name`, in bytes (default 1 KiB).
    public var name = 1 << 10
    /// `description`, in bytes (default 64 KiB).
    public var description = 64 << 10
    /// `metadata`, in bytes (default 64 KiB).
    public var metadata = 64 << 10
    /// A search query, in bytes (default 4 KiB).
    public var query = 4 << 10
    /// The largest `top_k` a search may ask for (default 1,000).
    public var topK = 1_000

    /// The defaults.
    public static let `default` = FieldLimits()

    /// The defaults.
    public init() {}

    /// The byte limit of a named text field (`product_id`, `name`, `description`, `metadata`, `query`);
    /// nil for a field that is not one of these.
    public func bytes(of field: String) -> Int? {
        switch field {
        case "product_id": productID
        case "name": name
        case "description": description
        case "metadata": metadata
        case "query": query
        default: nil
        }
    }

    /// Throws ``CatalogError/Code/fieldTooLarge`` when `value` is above `field`'s limit.
    public func check(_ field: String, _ value: String) throws(CatalogError) {
        guard let limit = bytes(of: field), value.utf8.count > limit else { return }
        throw CatalogError.tooLarge(field, limit: limit)
    }

    /// The checked fields of a product: each within its limit, an id without
    /// control characters, a name with words. The one set of field rules of the
    /// HTTP API and the catalogue files.
    public func product(id: String?, name: String?, description: String?, metadata: String?) throws(CatalogError) -> ProductFields {
        // Sizes first: nothing is trimmed or scanned before its size is known to be bounded.
        try check("product_id", id ?? "")
        try check("name", name ?? "")
        try check("description", description ?? "")
        try check("metadata", metadata ?? "")
        let id = (id ?? "").trimmingWhitespace()
        guard !id.isEmpty else { throw CatalogError.missing("product_id") }
        guard id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw CatalogError(.invalidField, "the field \"product_id\" contains control characters", field: "product_id")
        }
        // "." and ".." cannot be a URL path segment (RFC 3986 and browsers resolve them): no route could name them.
        guard id != "." && id != ".." else {
            throw CatalogError(.invalidField, "the field \"product_id\" cannot be \"\(id)\" (it cannot appear in a URL)", field: "product_id")
        }
        let name = name ?? ""
        guard !name.trimmingWhitespace().isEmpty else { throw CatalogError.missing("name") }
        return ProductFields(productID: id, name: name, description: description ?? "", metadata: metadata ?? "")
    }

    /// A checked `top_k` (or `limit`, as `field` says): a whole number from 1 to ``topK`` (10 when absent).
    public func topK(_ text: String?, field: String = "top_k") throws(CatalogError) -> Int {
        guard let text else { return 10 }
        guard text.utf8.count <= 16, let k = Int(text), (1...topK).contains(k) else {
            throw CatalogError(.invalidField, "the field \"\(field)\" must be a whole number from 1 to \(topK)", field: field)
        }
        return k
    }
}
