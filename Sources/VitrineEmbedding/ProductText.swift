/// The text of a product: its name above its description, metadata optional.
public struct ProductText: Sendable, Equatable, Codable {
    /// The product's name (weighted highest).
    public var name: String
    /// Its description.
    public var description: String
    /// Free text or JSON, kept as given; its words count for less.
    public var metadata: String

    /// Creates a product text.
    public init(name: String, description: String = "", metadata: String = "") {
        self.name = name
        self.description = description
        self.metadata = metadata
    }

    /// A query or any single text (weighted like a name).
    public init(query: String) {
        self.init(name: query)
    }
}
