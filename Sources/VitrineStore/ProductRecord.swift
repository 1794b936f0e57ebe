import Foundation

/// One stored product: its text as given, what was known of its image, and its vectors.
public struct ProductRecord: Sendable, Equatable {
    /// The catalogue's key.
    public var productID: String
    /// Name, as given.
    public var name: String
    /// Description, as given.
    public var description: String
    /// Metadata (free text or JSON), kept exactly as given.
    public var metadata: String
    /// SHA-256 (hex) of name, description and metadata: what "the text is unchanged" means.
    public var textDigest: String
    /// SHA-256 (hex) of the image file's bytes, when the product has an image.
    public var imageDigest: String?
    /// Where the image was read from (so `reindex` can read it again), when known.
    public var imagePath: String?
    /// Upright image width in pixels.
    public var imageWidth: Int?
    /// Upright image height in pixels.
    public var imageHeight: Int?
    /// `name@version` of the model that made the vectors.
    public var model: String
    /// The fused product vector (the text vector for a product without an image).
    public var fused: [Float]
    /// The image vector, when the product has an image.
    public var image: [Float]?
    /// The text vector.
    public var text: [Float]
    /// A small JPEG of the image (192–256 px on its longest side), when the product has an image;
    /// stored in its own table and not read back with the record (see ``ProductStore/thumbnail(productID:)``).
    public var thumbnail: [UInt8]?
    /// When the product was first stored (set by the store).
    public var createdAt: Date?
    /// When it was last written (set by the store).
    public var updatedAt: Date?
    /// The place in the write order of the write that made it (set by the store when read).
    public var sequence: Int64?

    /// Creates a record; the store sets the dates.
    public init(productID: String, name: String, description: String, metadata: String, textDigest: String,
                imageDigest: String?, imagePath: String? = nil, imageWidth: Int?, imageHeight: Int?, model: String,
                fused: [Float], image: [Float]?, text: [Float], thumbnail: [UInt8]? = nil,
                createdAt: Date? = nil, updatedAt: Date? = nil, sequence: Int64? = nil) {
        self.sequence = sequence
        self.productID = productID
        self.name = name
        self.description = description
        self.metadata = metadata
        self.textDigest = textDigest
        self.imageDigest = imageDigest
        self.imagePath = imagePath
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.model = model
        self.fused = fused
        self.image = image
        self.text = text
        self.thumbnail = thumbnail
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// What decides whether a product must be embedded again.
    public var fingerprint: ProductFingerprint {
        ProductFingerprint(textDigest: textDigest, imageDigest: imageDigest, model: model)
    }
}

/// Text digest, image digest and model id: equal fingerprints mean the stored vectors are current.
public struct ProductFingerprint: Sendable, Hashable {
    /// SHA-256 of the text fields.
    public var textDigest: String
    /// SHA-256 of the image bytes, or nil.
    public var imageDigest: String?
    /// The model id.
    public var model: String

    /// Creates a fingerprint.
    public init(textDigest: String, imageDigest: String?, model: String) {
        self.textDigest = textDigest
        self.imageDigest = imageDigest
        self.model = model
    }
}

/// Which of a product's vectors.
public enum VectorKind: String, Sendable, CaseIterable {
    /// The fused product vector (every product has one).
    case fused
    /// The text vector (every product has one).
    case text
    /// The image vector (only products with an image).
    case image
}

/// One vector as streamed from the store, with what search results show.
public struct StoredVector: Sendable {
    /// The store's row number (stable while the product exists).
    public var rowID: Int64
    /// The product's id.
    public var productID: String
    /// The product's name.
    public var name: String
    /// The model that made the vector.
    public var model: String
    /// The vector.
    public var vector: [Float]

    /// Creates a stored vector.
    public init(rowID: Int64, productID: String, name: String, model: String, vector: [Float]) {
        self.rowID = rowID
        self.productID = productID
        self.name = name
        self.model = model
        self.vector = vector
    }
}

/// Counts for `vitrine stats`.
public struct StoreStats: Sendable, Equatable {
    /// Stored products.
    public var products: Int
    /// Products with an image vector.
    public var withImage: Int
    /// Products per model id.
    public var models: [String: Int]
    /// The database file's size in bytes (main file plus WAL).
    public var bytes: Int
    /// Uploaded images kept for re-embedding (one per distinct image).
    public var originals = 0
    /// Their bytes.
    public var originalBytes = 0

    /// Creates stats (a store implementation builds them).
    public init(products: Int, withImage: Int, models: [String: Int], bytes: Int, originals: Int = 0, originalBytes: Int = 0) {
        self.products = products
        self.withImage = withImage
        self.models = models
        self.bytes = bytes
        self.originals = originals
        self.originalBytes = originalBytes
    }
}

/// A product's stored thumbnail.
public struct StoredThumbnail: Sendable, Equatable {
    /// The JPEG bytes.
    public var jpeg: [UInt8]
    /// SHA-256 of the image it was made from (an ETag for caches).
    public var imageDigest: String?

    /// Creates a stored thumbnail.
    public init(jpeg: [UInt8], imageDigest: String?) {
        self.jpeg = jpeg
        self.imageDigest = imageDigest
    }
}
