/// A vector in the joint 512-d space, with the id of the model that made it.
public struct Embedding: Sendable, Equatable, Codable {
    /// `name@version` of the model.
    public let model: String
    /// Unit-length values (all zeros only for an input with no features).
    public let vector: [Float]

    /// Wraps a vector.
    public init(model: String, vector: [Float]) {
        self.model = model
        self.vector = vector
    }

    /// Cosine similarity (vectors are unit length, so the dot product).
    public func similarity(to other: Embedding) -> Float {
        VectorMath.dot(vector, other.vector)
    }
}

/// The three vectors of one product.
public struct ProductEmbedding: Sendable, Equatable, Codable {
    /// The image vector, when the product has an image.
    public let image: Embedding?
    /// The text vector.
    public let text: Embedding
    /// normalise(w_image·image + w_text·text), or the text vector without an image.
    public let fused: Embedding
}
