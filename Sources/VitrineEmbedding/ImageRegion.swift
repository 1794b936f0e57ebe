import VitrineImaging

/// A rectangle of a picture in fractions of its width and height (0...1, from the top left),
/// so one region means the same part of the picture at any resolution.
public struct ImageRegion: Sendable, Hashable, CustomStringConvertible {
    /// Left edge.
    public var x0: Double
    /// Top edge.
    public var y0: Double
    /// Right edge.
    public var x1: Double
    /// Bottom edge.
    public var y1: Double

    /// A region from its edges.
    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    /// The whole picture.
    public static let whole = ImageRegion(x0: 0, y0: 0, x1: 1, y1: 1)

    /// The centre, with `margin` cut from every edge.
    static func centre(margin: Double) -> ImageRegion {
        ImageRegion(x0: margin, y0: margin, x1: 1 - margin, y1: 1 - margin)
    }

    /// A square-in-fractions window of `size` whose top left is (`x`, `y`).
    static func window(x: Double, y: Double, size: Double) -> ImageRegion {
        ImageRegion(x0: x, y0: y, x1: x + size, y1: y + size)
    }

    /// The region's pixels.
    public func pixels(of image: PixelBuffer) -> PixelBuffer {
        let left = Int((x0 * Double(image.width)).rounded()), top = Int((y0 * Double(image.height)).rounded())
        let right = Int((x1 * Double(image.width)).rounded()), bottom = Int((y1 * Double(image.height)).rounded())
        return image.cropped(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// `x0,y0–x1,y1` with two decimals.
    public var description: String {
        func f(_ v: Double) -> String { String(Double(Int((v * 100).rounded())) / 100) }
        return "\(f(x0)),\(f(y0))–\(f(x1)),\(f(y1))"
    }
}
