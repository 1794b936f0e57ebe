import Foundation
import Testing
@testable import VitrineImaging

/// Every fixture decodes to its ground truth: format, upright size, orientation
/// and colours at known points; every bad fixture gives its error code.
@Suite("Fixtures")
struct FixtureTests {
    let decoder = ImageDecoder()

    @Test("good fixture decodes to its ground truth", arguments: Fixtures.good)
    func goodFixture(_ expected: Fixtures.Expectation) throws {
        let image = try decoder.decodeFile(atPath: Fixtures.path(expected.file))
        #expect(image.format.rawValue == expected.format)
        #expect(image.width == expected.width)
        #expect(image.height == expected.height)
        #expect(image.orientation.rawValue == expected.orientation)
        #expect(image.pixels.width == expected.width)
        #expect(image.pixels.height == expected.height)
        #expect(image.scaleDenominator == 1)
        let tolerance = expected.tolerance ?? 0
        for point in expected.points ?? [] {
            let pixel = image.pixels[point.x, point.y]
            let actual = [Int(pixel.r), Int(pixel.g), Int(pixel.b)]
            let worst = zip(actual, point.rgb).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= tolerance,
                    "\(expected.file) at (\(point.x), \(point.y)): got \(actual), expected \(point.rgb) ± \(tolerance)")
        }
    }

    @Test("bad fixture is refused with its error code", arguments: Fixtures.bad)
    func badFixture(_ expected: Fixtures.Expectation) throws {
        let error = #expect(throws: ImagingError.self) {
            try decoder.decodeFile(atPath: Fixtures.path(expected.file))
        }
        #expect(error?.code.rawValue == expected.error, "\(expected.file): \(String(describing: error))")
        #expect(error?.message.isEmpty == false)
    }

    @Test("header-only info agrees with the full decode", arguments: Fixtures.good)
    func infoMatchesDecode(_ expected: Fixtures.Expectation) throws {
        let info = try decoder.info(of: Fixtures.bytes(expected.file))
        #expect(info.width == expected.width)
        #expect(info.height == expected.height)
        #expect(info.orientation.rawValue == expected.orientation)
        #expect(info.format.rawValue == expected.format)
    }

    @Test("every file under fixtures/images has ground truth, and every entry a file")
    func manifestIsComplete() throws {
        let manager = FileManager.default
        var files = Set<String>()
        for name in try manager.contentsOfDirectory(atPath: Fixtures.images.path) where name != "expected.json" && name != "bad" {
            files.insert(name)
        }
        for name in try manager.contentsOfDirectory(atPath: Fixtures.images.appendingPathComponent("bad").path) {
            files.insert("bad/" + name)
        }
        let listed = Set(Fixtures.expectations.map(\.file))
        #expect(files == listed, "unlisted: \(files.subtracting(listed)), missing: \(listed.subtracting(files))")
        #expect(Fixtures.good.count >= 50)
        #expect(Fixtures.bad.count >= 25)
    }

    @Test("the fixtures stay small (under 3 MB together)")
    func fixturesAreSmall() throws {
        let enumerator = FileManager.default.enumerator(at: Fixtures.images, includingPropertiesForKeys: [.fileSizeKey])
        var total = 0
        while let url = enumerator?.nextObject() as? URL {
            total += (try url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        }
        #expect(total < 3_000_000)
    }

    @Test("orientation turns the stored pixels upright: each EXIF case matches the upright original")
    func orientationsAgree() throws {
        let upright = try decoder.decodeFile(atPath: Fixtures.path("exif-1.jpg")).pixels
        for orientation in 2...8 {
            let image = try decoder.decodeFile(atPath: Fixtures.path("exif-\(orientation).jpg"))
            #expect(image.pixels.width == upright.width && image.pixels.height == upright.height)
            let difference = zip(image.pixels.pixels, upright.pixels).map { abs(Int($0) - Int($1)) }
            let mean = Double(difference.reduce(0, +)) / Double(difference.count)
            #expect(mean < 4, "exif-\(orientation).jpg differs from upright by \(mean) on average")
        }
    }
}
