import Foundation
import VitrineImaging

/// Vitrine's CLIP-like model: images (colour histogram + spatial patches) and
/// texts (hashed n-grams + colour words) projected by fixed random weights
/// into one joint, L2-normalised 512-d space.
///
/// Pure functions of their input: the same pixels and text give bit-identical
/// vectors on every run and with any number of threads (each vector is computed by
/// one thread, in a fixed order). The model takes pixel buffers and texts only: files,
/// bytes and their limits are the ``VitrineImaging/ImagePipeline``'s.
public struct EmbeddingModel: Sendable {
    /// The checked weights.
    public let weights: ModelWeights
    /// How image and text are fused.
    public var fusion: FusionWeights

    /// `name@version`, carried by every vector.
    public var id: String { weights.manifest.id }

    /// Wraps loaded weights.
    public init(weights: ModelWeights, fusion: FusionWeights = .default) {
        self.weights = weights
        self.fusion = fusion
    }

    /// Loads the model from its manifest (checking the weights' digest).
    public static func load(manifestURL: URL, fusion: FusionWeights = .default) throws(EmbeddingError) -> EmbeddingModel {
        EmbeddingModel(weights: try ModelWeights.load(manifestURL: manifestURL), fusion: fusion)
    }

    // MARK: Images

    /// The image vector of upright pixels.
    public func embedImage(_ pixels: PixelBuffer) -> Embedding {
        Embedding(model: id, vector: imageVector(pixels, side: WorkingImage.side))
    }

    /// The image vector of upright pixels on a working image of `side` pixels.
    func imageVector(_ pixels: PixelBuffer, side: Int) -> [Float] {
        let features = ImageFeatures(pixels, side: side)
        var vector = [Float](repeating: 0, count: ModelSpec.dimension)
        vector.withUnsafeMutableBufferPointer { out in
            Projection.dense(features.colour, weights.colour, scale: ModelSpec.colourBlockWeight, into: out)
            Projection.dense(features.patches, weights.patches, scale: ModelSpec.patchBlockWeight, into: out)
        }
        VectorMath.normalize(&vector)
        return vector
    }

    // MARK: Text

    /// The text vector of a product's text, or of a query.
    /// Throws ``EmbeddingError/Code/invalidInput`` when the text has no words at all.
    public func embedText(_ text: ProductText) throws(EmbeddingError) -> Embedding {
        let features = TextFeatures(text)
        guard !features.features.isEmpty else {
            throw EmbeddingError(.invalidInput, "the text has no words to embed")
        }
        var grams = [Float](repeating: 0, count: ModelSpec.dimension)
        grams.withUnsafeMutableBufferPointer { out in
            Projection.sparse(features.features, weights.text, into: out)
        }
        VectorMath.normalize(&grams)
        if !features.colours.isEmpty {
            let histogram = ColourWords.histogram(for: features.colours)
            grams.withUnsafeMutableBufferPointer { out in
                Projection.dense(histogram, weights.colour, scale: ModelSpec.colourBridgeWeight, into: out)
            }
            VectorMath.normalize(&grams)
        }
        return Embedding(model: id, vector: grams)
    }

    /// The text vector of a query string.
    public func embedText(_ query: String) throws(EmbeddingError) -> Embedding {
        try embedText(ProductText(query: query))
    }

    // MARK: Products

    /// normalise(w_image·image + w_text·text); the text vector alone without an image.
    public func fuse(image: Embedding?, text: Embedding) -> Embedding {
        guard let image else { return text }
        var vector = [Float](repeating: 0, count: ModelSpec.dimension)
        for index in 0..<ModelSpec.dimension {
            vector[index] = fusion.image * image.vector[index] + fusion.text * text.vector[index]
        }
        VectorMath.normalize(&vector)
        return Embedding(model: id, vector: vector)
    }

    /// All three vectors of a product.
    public func embedProduct(text: ProductText, image: PixelBuffer?) throws(EmbeddingError) -> ProductEmbedding {
        let imageVector = image.map(embedImage)
        let textVector = try embedText(text)
        return ProductEmbedding(image: imageVector, text: textVector, fused: fuse(image: imageVector, text: textVector))
    }
}

/// The two projection kernels.
enum Projection {
    /// out += scale · W·x for a dense column-major block. Only the image half's
    /// rows are summed: the loader checked that the others are zero.
    static func dense(_ input: [Float], _ weights: [Float], scale: Float, into out: UnsafeMutableBufferPointer<Float>) {
        let dimension = out.count
        let output = out.baseAddress!
        weights.withUnsafeBufferPointer { w in
            for (column, value) in input.enumerated() where value != 0 {
                let x = value * scale
                let base = w.baseAddress! + column * dimension
                for row in 0..<ModelSpec.imageSubspace { output[row] += x * base[row] }
            }
        }
    }

    /// out += W·x for the sparse text block, x given as hashed features.
    static func sparse(_ features: [TextFeatures.Feature], _ weights: [UInt16], into out: UnsafeMutableBufferPointer<Float>) {
        let entryScale = 1 / Float(ModelSpec.textNonzeros).squareRoot()
        let mask = UInt64(ModelSpec.textBuckets - 1)
        let output = out.baseAddress!
        weights.withUnsafeBufferPointer { w in
            let table = w.baseAddress!
            for feature in features {
                let bucket = Int(feature.hash & mask)
                // The feature's sign is its hash's top bit; each entry's sign its own top bit.
                let value = (feature.weight * entryScale).bitPattern ^ UInt32(truncatingIfNeeded: (feature.hash >> 63) << 31)
                let base = table + bucket * ModelSpec.textNonzeros
                for entry in 0..<ModelSpec.textNonzeros {
                    let packed = base[entry]
                    output[Int(packed & 0x7FFF)] += Float(bitPattern: value ^ (UInt32(packed & 0x8000) << 16))
                }
            }
        }
    }
}
