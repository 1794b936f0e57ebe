import Foundation
import Testing
@testable import VitrineImaging

/// The DCT fast path: a target size picks the smallest JPEG scale that still covers it.
@Suite("DCT scaling")
struct ScalingTests {
    @Test("scale choice keeps the longer side at or above the target", arguments: [
        (800, 450, 192, 4), (450, 800, 192, 4), (800, 227, 100, 8), (800, 800, 128, 4), (800, 800, 100, 8), (800, 800, 101, 4), (800, 800, 400, 2), (800, 800, 401, 1),
        (800, 600, 128, 4), (64, 48, 128, 1), (64, 48, 24, 2), (64, 48, 6, 8), (4000, 3000, 224, 8),
    ])
    func scaleChoice(_ width: Int, _ height: Int, _ target: Int, _ expected: Int) {
        #expect(ImageDecoder.scaleDenominator(width: width, height: height, targetSize: target) == expected)
    }

    @Test("no target means full size")
    func noTarget() {
        #expect(ImageDecoder.scaleDenominator(width: 800, height: 800, targetSize: nil) == 1)
    }

    @Test("a JPEG decoded for a small target comes out scaled, close to the full decode")
    func scaledDecode() throws {
        let bytes = try Fixtures.bytes("texture-256x192.jpg")
        let decoder = ImageDecoder()
        let full = try decoder.decode(bytes)
        let quarter = try decoder.decode(bytes, targetSize: 48)
        #expect(quarter.scaleDenominator == 4)
        #expect(quarter.pixels.width == 64 && quarter.pixels.height == 48)
        #expect(quarter.width == 256 && quarter.height == 192, "reported size stays the full upright size")
        // Each scaled pixel is close to the mean of its 4×4 block in the full decode.
        var totalError = 0.0
        for y in 0..<48 {
            for x in 0..<64 {
                var sum = (0, 0, 0)
                for dy in 0..<4 {
                    for dx in 0..<4 {
                        let p = full.pixels[x * 4 + dx, y * 4 + dy]
                        sum = (sum.0 + Int(p.r), sum.1 + Int(p.g), sum.2 + Int(p.b))
                    }
                }
                let p = quarter.pixels[x, y]
                totalError += abs(Double(p.r) - Double(sum.0) / 16) + abs(Double(p.g) - Double(sum.1) / 16)
                    + abs(Double(p.b) - Double(sum.2) / 16)
            }
        }
        #expect(totalError / Double(64 * 48 * 3) < 6)
    }

    @Test("scaling and orientation combine: a rotated JPEG comes out upright at the smaller size")
    func scaledAndRotated() throws {
        let image = try ImageDecoder().decodeFile(atPath: Fixtures.path("exif-6.jpg"), targetSize: 12)
        #expect(image.scaleDenominator == 4)
        #expect(image.pixels.width == 16 && image.pixels.height == 12)
        let topLeft = image.pixels[3, 2]
        #expect(topLeft.r > 180 && topLeft.g < 90 && topLeft.b < 90, "top-left quadrant should be red, got \(topLeft)")
    }

    @Test("PNG ignores the target and decodes at full size")
    func pngFullSize() throws {
        let image = try ImageDecoder().decodeFile(atPath: Fixtures.path("rgb8.png"), targetSize: 8)
        #expect(image.scaleDenominator == 1)
        #expect(image.pixels.width == 64)
    }
}
