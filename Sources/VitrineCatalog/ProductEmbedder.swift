import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Turns a product's fields and image bytes into the record to store: one decode
/// (at the model's size, within the pipeline's limits), the thumbnail, the embedding,
/// the digests. The synchronous route, the job worker, `index-catalog` and `reindex`
/// all build records here.
public struct ProductEmbedder: Sendable {
    /// The model.
    public let model: EmbeddingModel
    /// The image pipeline (decoder, limits, thumbnails).
    public let images: ImagePipeline

    /// An embedder for `model`, decoding with `images`.
    public init(model: EmbeddingModel, images: ImagePipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)) {
        self.model = model
        self.images = images
    }

    /// A text-only product's record.
    public func record(_ fields: ProductFields) throws(EmbeddingError) -> ProductRecord {
        try record(fields, image: [UInt8]?.none, imageDigest: nil, imagePath: nil)
    }

    /// The record of a product with an image: `imageDigest` is the SHA-256 of `image` (computed
    /// when nil), `imagePath` where it was read from (nil for an upload, whose bytes the store keeps).
    public func record<Bytes: ContiguousBytes>(_ fields: ProductFields, image: Bytes?, imageDigest: String?,
                                               imagePath: String?) throws(EmbeddingError) -> ProductRecord {
        var pixels: PixelBuffer? = nil
        var size: (width: Int, height: Int)? = nil
        var thumbnail: [UInt8]? = nil
        var digest: String? = nil
        if let image {
            do throws(ImagingError) {
                let prepared = try images.prepare(image)
                pixels = prepared.pixels
                size = (prepared.width, prepared.height)
                thumbnail = prepared.thumbnail
            } catch {
                throw EmbeddingError(error)
            }
            digest = imageDigest ?? Digest.sha256(image)
        }
        let vectors = try model.embedProduct(
            text: ProductText(name: fields.name, description: fields.description, metadata: fields.metadata), image: pixels)
        return ProductRecord(
            productID: fields.productID, name: fields.name, description: fields.description, metadata: fields.metadata,
            textDigest: Digest.text(name: fields.name, description: fields.description, metadata: fields.metadata),
            imageDigest: digest, imagePath: imagePath, imageWidth: size?.width, imageHeight: size?.height, model: model.id,
            fused: vectors.fused.vector, image: vectors.image?.vector, text: vectors.text.vector, thumbnail: thumbnail)
    }
}
