/// How image and text are fused into a product vector:
/// `normalise(image · imageWeight + text · textWeight)`.
public struct FusionWeights: Sendable, Equatable {
    /// Weight of the image vector (default 0.5).
    public var image: Float
    /// Weight of the text vector (default 0.5).
    public var text: Float

    /// Equal weights: a product's look and its words count the same.
    public static let `default` = FusionWeights(image: 0.5, text: 0.5)

    /// Creates weights; both must be non-negative and not both zero.
    public init(image: Float, text: Float) {
        precondition(image >= 0 && text >= 0 && image + text > 0, "fusion weights must be non-negative and not both zero")
        self.image = image
        self.text = text
    }
}
