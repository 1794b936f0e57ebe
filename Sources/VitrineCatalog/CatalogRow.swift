/// One product as read from a catalogue file.
public struct CatalogRow: Sendable, Equatable {
    /// The row number in the file (CSV: the header is row 1; JSON Lines: the line number).
    public var row: Int
    /// The product's id.
    public var productID: String
    /// Its name.
    public var name: String
    /// Its description.
    public var description: String
    /// Its metadata, as given (JSON values are kept as compact JSON text).
    public var metadata: String
    /// The image path as written in the file, if any.
    public var image: String?

    /// Creates a row.
    public init(row: Int, productID: String, name: String, description: String = "", metadata: String = "", image: String? = nil) {
        self.row = row
        self.productID = productID
        self.name = name
        self.description = description
        self.metadata = metadata
        self.image = image
    }
}
