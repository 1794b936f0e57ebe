import Foundation

/// Bounds checked before any pixel memory is allocated, so that a hostile or
/// absurd file (a decompression bomb, a header claiming 65,500×65,500) is
/// refused in microseconds.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest encoded file accepted, in bytes (default 32 MiB).
    public var maxEncodedBytes: Int
    /// Largest total pixel count (width × height) accepted (default 50 megapixels).
    public var maxPixels: Int
    /// Largest width or height accepted (default 20,000).
    public var maxSide: Int

    /// The catalogue defaults: 32 MiB, 50 megapixels, 20,000 pixels a side.
    public static let `default` = DecodeLimits()

    /// Creates limits; every value must be positive.
    public init(maxEncodedBytes: Int = 32 << 20, maxPixels: Int = 50_000_000, maxSide: Int = 20_000) {
        precondition(maxEncodedBytes > 0 && maxPixels > 0 && maxSide > 0, "limits must be positive")
        self.maxEncodedBytes = maxEncodedBytes
        self.maxPixels = maxPixels
        self.maxSide = maxSide
    }

    /// Throws ``ImagingError/Code/tooLarge`` when a `width`×`height` image breaks a limit.
    func check(width: Int, height: Int, format: ImageFormat) throws(ImagingError) {
        if width > maxSide || height > maxSide {
            throw ImagingError(.tooLarge,
                "\(format.displayName) of \(width)×\(height) pixels: a side is above the limit of \(maxSide)")
        }
        if width * height > maxPixels {
            let megapixels = Double(width * height) / 1_000_000
            throw ImagingError(.tooLarge,
                "\(format.displayName) of \(width)×\(height) pixels (\(String(format: "%.1f", megapixels)) MP) is above the limit of \(Double(maxPixels) / 1_000_000) MP")
        }
        if width <= 0 || height <= 0 {
            throw ImagingError(.corrupt, "\(format.displayName) header gives an empty size \(width)×\(height)")
        }
    }
}
