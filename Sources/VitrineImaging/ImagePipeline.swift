import Foundation

/// What every surface does with an image before the model sees it, built once from the
/// configuration: the decoder with its limits, decoding at the size the model and the
/// thumbnail need (on the DCT fast path), and the thumbnail.
public struct ImagePipeline: Sendable {
    /// The decoder and its limits.
    public let decoder: ImageDecoder
    /// The shortest side decoded images are brought down to (at least).
    public let targetSize: Int

    /// A pipeline with these limits.
    public init(limits: DecodeLimits = .default, targetSize: Int = Thumbnail.minimumSide) {
        decoder = ImageDecoder(limits: limits)
        self.targetSize = targetSize
    }

    /// The limits images are checked against.
    public var limits: DecodeLimits { decoder.limits }

    /// An image decoded for indexing: upright pixels at the model's size, the upright
    /// size of the original, and its thumbnail.
    public struct Prepared: Sendable {
        /// Upright pixels at the pipeline's size.
        public var pixels: PixelBuffer
        /// The original's upright width.
        public var width: Int
        /// The original's upright height.
        public var height: Int
        /// A small JPEG (see ``Thumbnail``).
        public var thumbnail: [UInt8]
    }

    /// Type and size from the header, without decoding (to refuse an upload before it is stored).
    public func info<Bytes: ContiguousBytes>(of bytes: Bytes) throws(ImagingError) -> ImageInfo {
        try decoder.info(of: bytes)
    }

    /// Reads an image file, within the byte limit.
    public func readFile(atPath path: String) throws(ImagingError) -> [UInt8] {
        try decoder.readFile(atPath: path)
    }

    /// Decodes bytes to upright pixels at the pipeline's size (a query image).
    public func pixels<Bytes: ContiguousBytes>(_ bytes: Bytes) throws(ImagingError) -> PixelBuffer {
        try decoder.decode(bytes, targetSize: targetSize).pixels
    }

    /// Reads and decodes a file to upright pixels at the pipeline's size.
    public func pixels(atPath path: String) throws(ImagingError) -> PixelBuffer {
        try decoder.decodeFile(atPath: path, targetSize: targetSize).pixels
    }

    /// Decodes bytes for indexing: the pixels, the original's size and the thumbnail.
    public func prepare<Bytes: ContiguousBytes>(_ bytes: Bytes) throws(ImagingError) -> Prepared {
        let decoded = try decoder.decode(bytes, targetSize: targetSize)
        return Prepared(pixels: decoded.pixels, width: decoded.width, height: decoded.height,
                        thumbnail: try Thumbnail.make(from: decoded.pixels))
    }
}
