import VitrineImaging

/// The fixed shape of Vitrine's model, version by version. Anything here that
/// changes the vectors (a weight, a bin, a size) needs a new ``version`` and
/// new golden vectors (see `vitrine model goldens`).
public enum ModelSpec {
    /// The model's name.
    public static let name = "vitrine-clip"
    /// The version of weights and features this build computes. Version 2: images are
    /// decoded at a 192-px target instead of 64 (one decode serves the embedding and the
    /// index-time thumbnail). Version 3: the target holds for the longer side only, JPEG
    /// is decoded with libjpeg's fast integer DCT and plain upsampling, and colour words
    /// come from the XKCD colour survey (``ColourSurvey``). The weights are version 1's.
    public static let version = 3
    /// `name@version`, carried by every vector.
    public static var id: String { "\(name)@\(version)" }
    /// The seed the committed weights were generated with.
    public static let defaultSeed: UInt64 = 20_261_129
    /// The joint space's dimension.
    public static let dimension = 512

    /// Dimensions 0..<imageSubspace hold image features (colour, patches);
    /// the rest hold text n-grams.
    public static let imageSubspace = 256

    /// Hashed text buckets (the text block's inputs).
    public static let textBuckets = 1 << 14
    /// Non-zero ±1 entries per text bucket in the sparse projection.
    public static let textNonzeros = 8

    /// Field weights in the text features.
    static let nameWeight: Float = 2.0
    static let descriptionWeight: Float = 1.0
    static let metadataWeight: Float = 0.5

    /// Block weights inside the image vector.
    static let colourBlockWeight: Float = 0.35
    static let patchBlockWeight: Float = 0.65
    /// Weight of the colour-word bridge inside a text vector (the n-grams weigh 1).
    static let colourBridgeWeight: Float = 0.5

    /// The decoder's target: JPEG is DCT-scaled down to the smallest size whose longer
    /// side still covers 192 px — three times the working image's side, and large enough
    /// for the product's thumbnail, so indexing decodes each image once.
    public static var decodeTarget: Int { Thumbnail.minimumSide }

    /// The base file name of the weights and manifest in `models/`.
    public static var fileStem: String { "\(name)-v\(version)" }
}
