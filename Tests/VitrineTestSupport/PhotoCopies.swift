import Foundation
import VitrineImaging

/// Copies of a photo as they are found in the wild (the transforms of
/// fixtures/tools/make-real-copies.py, made here from pixels): for the copy tests.
public enum PhotoCopies {
    /// A photo-like picture that fills its frame: smooth random waves of colour and light, with
    /// grain — no flat border, no straight edge across it.
    public static func texture(width: Int, height: Int, seed: UInt64) -> PixelBuffer {
        var random = SeededGenerator(state: seed)
        let waves = (0..<12).map { _ in
            (Double.random(in: 0.5...4, using: &random), Double.random(in: 0.5...4, using: &random),
             Double.random(in: 0...(2 * Double.pi), using: &random), Double.random(in: 20...50, using: &random))
        }
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) / Double(width), v = Double(y) / Double(height)
                for channel in 0..<3 {
                    var value = 128.0
                    for wave in waves[(channel * 4)..<(channel * 4 + 4)] {
                        value += wave.3 * sin(2 * Double.pi * (wave.0 * u + wave.1 * v) + wave.2)
                    }
                    value += Double(Int.random(in: -8...8, using: &random))
                    bytes[(y * width + x) * 3 + channel] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return PixelBuffer(width: width, height: height, pixels: bytes)
    }

    /// The rectangle (in pixels) of `image`.
    public static func crop(_ image: PixelBuffer, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> PixelBuffer {
        let left = Int(x0 * Double(image.width)), top = Int(y0 * Double(image.height))
        return image.cropped(x: left, y: top, width: Int(x1 * Double(image.width)) - left, height: Int(y1 * Double(image.height)) - top)
    }

    /// `image` pasted onto `canvas` with its top left at (`x`, `y`).
    public static func paste(_ image: PixelBuffer, onto canvas: PixelBuffer, x: Int, y: Int) -> PixelBuffer {
        var bytes = canvas.pixels
        for row in 0..<image.height where y + row < canvas.height {
            for column in 0..<image.width where x + column < canvas.width {
                let from = (row * image.width + column) * 3, to = ((y + row) * canvas.width + x + column) * 3
                bytes[to] = image.pixels[from]; bytes[to + 1] = image.pixels[from + 1]; bytes[to + 2] = image.pixels[from + 2]
            }
        }
        return PixelBuffer(width: canvas.width, height: canvas.height, pixels: bytes)
    }

    /// A filled rectangle drawn over `image`.
    public static func fill(_ image: PixelBuffer, x: Int, y: Int, width: Int, height: Int, _ rgb: (UInt8, UInt8, UInt8)) -> PixelBuffer {
        paste(PixelBuffer(width: max(1, width), height: max(1, height), filledWith: rgb), onto: image, x: x, y: y)
    }

    /// The photo at half size on a larger, screenshot-like page: a title bar, and lines of "text" beside it.
    public static func canvas(_ image: PixelBuffer) -> PixelBuffer {
        let width = image.width * 11 / 10, height = image.height
        var page = PixelBuffer(width: width, height: height, filledWith: (242, 242, 242))
        page = fill(page, x: 0, y: 0, width: width, height: height * 8 / 100, (60, 90, 160))
        for line in 0..<6 {
            for word in 0..<5 {
                page = fill(page, x: width * 62 / 100 + word * width / 16, y: height * (20 + line * 8) / 100,
                            width: width / 20, height: max(2, height / 60), (40, 40, 40))
            }
        }
        let small = Thumbnail.shrink(image, longestSide: max(image.width, image.height) / 2)
        return paste(small, onto: page, x: width * 5 / 100, y: height * 18 / 100)
    }

    /// `image` and `other` side by side, `other` scaled to the same height.
    public static func collage(_ image: PixelBuffer, _ other: PixelBuffer) -> PixelBuffer {
        let scaledWidth = max(1, other.width * image.height / other.height)
        let right = Thumbnail.shrink(other, longestSide: max(scaledWidth, image.height))
        var page = PixelBuffer(width: image.width + right.width, height: image.height, filledWith: (255, 255, 255))
        page = paste(image, onto: page, x: 0, y: 0)
        return paste(right, onto: page, x: image.width, y: 0)
    }

    /// A dark banner over the bottom 15 % of `image`, with light "text" in it.
    public static func banner(_ image: PixelBuffer) -> PixelBuffer {
        let top = image.height * 85 / 100
        var copy = fill(image, x: 0, y: top, width: image.width, height: image.height - top, (20, 20, 20))
        for word in 0..<6 {
            copy = fill(copy, x: image.width * (5 + word * 14) / 100, y: top + (image.height - top) / 3,
                        width: image.width / 10, height: max(2, (image.height - top) / 3), (255, 255, 255))
        }
        return copy
    }

    /// `image` rotated by `degrees` about its centre on a white canvas large enough to hold it (bilinear).
    public static func rotated(_ image: PixelBuffer, degrees: Double) -> PixelBuffer {
        let angle = degrees * Double.pi / 180, c = cos(angle), s = sin(angle)
        let w = Double(image.width), h = Double(image.height)
        let width = Int((abs(w * c) + abs(h * s)).rounded()), height = Int((abs(w * s) + abs(h * c)).rounded())
        var bytes = [UInt8](repeating: 255, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - Double(width) / 2, dy = Double(y) - Double(height) / 2
                let sx = c * dx + s * dy + w / 2, sy = -s * dx + c * dy + h / 2
                guard sx >= 0, sy >= 0, sx < w - 1, sy < h - 1 else { continue }
                let x0 = Int(sx), y0 = Int(sy), fx = sx - Double(x0), fy = sy - Double(y0)
                for channel in 0..<3 {
                    func at(_ px: Int, _ py: Int) -> Double { Double(image.pixels[(py * image.width + px) * 3 + channel]) }
                    let value = at(x0, y0) * (1 - fx) * (1 - fy) + at(x0 + 1, y0) * fx * (1 - fy)
                        + at(x0, y0 + 1) * (1 - fx) * fy + at(x0 + 1, y0 + 1) * fx * fy
                    bytes[(y * width + x) * 3 + channel] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return PixelBuffer(width: width, height: height, pixels: bytes)
    }
}
