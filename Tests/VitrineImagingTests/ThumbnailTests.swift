import Foundation
import Testing
@testable import VitrineImaging

/// Thumbnails: sizes, area averaging, the JPEG encoder, and one decode for both uses.
@Suite("Thumbnails")
struct ThumbnailTests {
    @Test("shrinking keeps the aspect ratio, never enlarges, and averages areas")
    func shrink() {
        let wide = Thumbnail.shrink(PixelBuffer(width: 800, height: 400, filledWith: (200, 40, 10)), longestSide: 256)
        #expect(wide.width == 256 && wide.height == 128 && wide[100, 50] == (200, 40, 10))
        let small = PixelBuffer(width: 100, height: 50, filledWith: (1, 2, 3))
        #expect(Thumbnail.shrink(small, longestSide: 256) == small)
        // Black and white columns average to grey.
        var bytes: [UInt8] = []
        for _ in 0..<4 { for x in 0..<4 { bytes += x % 2 == 0 ? [0, 0, 0] : [255, 255, 255] } }
        let stripes = Thumbnail.shrink(PixelBuffer(width: 4, height: 4, pixels: bytes), longestSide: 2)
        #expect(stripes.width == 2 && stripes.height == 2 && stripes[0, 0] == (128, 128, 128))
    }

    @Test("the encoder writes a baseline JPEG that decodes to the same picture")
    func encode() throws {
        var bytes: [UInt8] = []
        for y in 0..<120 { for x in 0..<160 { bytes += [UInt8(x), UInt8(y * 2), 90] } }
        let image = PixelBuffer(width: 160, height: 120, pixels: bytes)
        let jpeg = try Thumbnail.encode(image, quality: 90)
        #expect(jpeg.starts(with: [0xFF, 0xD8]) && jpeg.suffix(2) == [0xFF, 0xD9])
        let back = try ImageDecoder().decode(jpeg)
        #expect(back.width == 160 && back.height == 120)
        let (r, g, b) = back.pixels[80, 60]
        #expect(abs(Int(r) - 80) <= 4 && abs(Int(g) - 120) <= 4 && abs(Int(b) - 90) <= 4)
        #expect(throws: ImagingError.self) { try Thumbnail.encode(PixelBuffer(width: 0, height: 0, pixels: []), quality: 80) }
    }

    @Test("every good fixture gets an upright thumbnail, 192 to 256 px on its longest side (or its own size)")
    func fixtures() throws {
        let decoder = ImageDecoder()
        let folder = Fixtures.images
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".jpg") || name.hasSuffix(".png") {
            let bytes = try decoder.readFile(atPath: folder.appendingPathComponent(name).path)
            guard let decoded = try? decoder.decode(bytes, targetSize: Thumbnail.minimumSide) else { continue }
            let thumbnail = try decoder.decode(Thumbnail.make(from: decoded.pixels))
            let long = max(thumbnail.width, thumbnail.height), full = max(decoded.width, decoded.height)
            #expect(long <= Thumbnail.longestSide && long >= min(Thumbnail.minimumSide, full), "\(name): \(thumbnail.width)×\(thumbnail.height)")
            // Upright: the thumbnail has the upright image's shape.
            #expect((thumbnail.width >= thumbnail.height) == (decoded.width >= decoded.height) || abs(decoded.width - decoded.height) <= 2, "\(name)")
        }
    }
}
