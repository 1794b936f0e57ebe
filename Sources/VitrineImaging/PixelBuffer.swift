/// An 8-bit RGB image in memory: rows packed top to bottom, three bytes a pixel.
public struct PixelBuffer: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel, row after row.
    public private(set) var pixels: [UInt8]

    /// Wraps existing RGB bytes; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "pixel count does not match \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A buffer filled with one colour.
    public init(width: Int, height: Int, filledWith rgb: (UInt8, UInt8, UInt8)) {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: bytes.count, by: 3) {
            bytes[index] = rgb.0
            bytes[index + 1] = rgb.1
            bytes[index + 2] = rgb.2
        }
        self.init(width: width, height: height, pixels: bytes)
    }

    /// Creates a buffer whose bytes are written once by `initialize`, without zero-filling first.
    init(width: Int, height: Int, initializingWith initialize: (UnsafeMutableBufferPointer<UInt8>) throws(ImagingError) -> Void) throws(ImagingError) {
        let count = width * height * 3
        var failure: ImagingError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(ImagingError) {
                try initialize(buffer)
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        self.width = width
        self.height = height
        self.pixels = bytes
    }

    /// The colour at column `x`, row `y` (0-based, from the top left).
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
        let index = (y * width + x) * 3
        return (pixels[index], pixels[index + 1], pixels[index + 2])
    }
}
