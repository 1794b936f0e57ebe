/// What the decoder returns: upright pixels and the facts about the file.
public struct DecodedImage: Sendable {
    /// The encoded format, decided from the bytes.
    public let format: ImageFormat
    /// The EXIF orientation that was applied (``Orientation/up`` when there was none).
    public let orientation: Orientation
    /// Upright size of the full-resolution image (after orientation, before any DCT scaling).
    public let width: Int
    /// Upright height of the full-resolution image.
    public let height: Int
    /// The DCT scale denominator used (1, 2, 4 or 8; always 1 for PNG).
    public let scaleDenominator: Int
    /// Upright 8-bit RGB pixels; smaller than `width`×`height` when a target size allowed DCT scaling.
    public let pixels: PixelBuffer
}

/// Header facts, read without decoding any pixels.
public struct ImageInfo: Sendable, Equatable {
    /// The encoded format.
    public let format: ImageFormat
    /// Upright width (after orientation).
    public let width: Int
    /// Upright height (after orientation).
    public let height: Int
    /// The EXIF orientation (``Orientation/up`` when absent or unreadable).
    public let orientation: Orientation
    /// True for progressive JPEG or Adam7 PNG.
    public let progressive: Bool
}
