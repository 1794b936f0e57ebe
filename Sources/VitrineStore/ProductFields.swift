/// A product's text fields: what every surface (the API's forms and JSON, catalogue
/// files, jobs) gives to index a product. Checked by the catalogue's `FieldLimits`
/// before anything is stored.
public struct ProductFields: Sendable, Equatable {
    /// The id, trimmed.
    public var productID: String
    /// The name, as given.
    public var name: String
    /// The description ("" when absent).
    public var description: String
    /// The metadata ("" when absent), kept exactly as given.
    public var metadata: String

    /// Fields as given.
    public init(productID: String, name: String, description: String = "", metadata: String = "") {
        self.productID = productID
        self.name = name
        self.description = description
        self.metadata = metadata
    }
}
