import Foundation
import Testing
@testable import VitrineImaging

/// Limits are checked from the header, before pixel memory, and are configurable.
@Suite("Limits")
struct LimitsTests {
    @Test("bombs are refused from the header, quickly", arguments: ["bad/bomb-30000.png", "bad/bomb-65500.jpg"])
    func bombsRefusedQuickly(_ name: String) throws {
        let bytes = try Fixtures.bytes(name)
        let clock = ContinuousClock()
        var caught: ImagingError?
        let elapsed = clock.measure {
            do throws(ImagingError) { _ = try ImageDecoder().decode(bytes) } catch { caught = error }
        }
        #expect(caught?.code == .tooLarge)
        // The bound is 100 ms (BENCHMARKS.md records the real figure, about 0.1 ms);
        // a wide margin keeps this from flaking on a loaded machine.
        #expect(elapsed < .seconds(1), "\(name) took \(elapsed)")
    }

    @Test("the pixel limit is configurable")
    func pixelLimit() throws {
        let bytes = try Fixtures.bytes("texture-256x192.jpg")
        let strict = ImageDecoder(limits: DecodeLimits(maxPixels: 256 * 192 - 1))
        let error = #expect(throws: ImagingError.self) { try strict.decode(bytes) }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("256×192") == true)
        let exact = ImageDecoder(limits: DecodeLimits(maxPixels: 256 * 192))
        #expect(try exact.decode(bytes).width == 256)
    }

    @Test("the side limit is configurable and applies to either side")
    func sideLimit() throws {
        let strict = ImageDecoder(limits: DecodeLimits(maxSide: 200))
        let error = #expect(throws: ImagingError.self) { try strict.decode(Fixtures.bytes("texture-256x192.png")) }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("256×192") == true)
        let tall = ImageDecoder(limits: DecodeLimits(maxSide: 63))
        #expect(throws: ImagingError.self) { try tall.decode(Fixtures.bytes("exif-6.jpg")) } // stored 48×64
    }

    @Test("the encoded-size limit refuses a file before reading it, and bytes in memory too")
    func encodedSizeLimit() throws {
        let decoder = ImageDecoder(limits: DecodeLimits(maxEncodedBytes: 1_000))
        let fromFile = #expect(throws: ImagingError.self) {
            try decoder.decodeFile(atPath: Fixtures.path("texture-256x192.png"))
        }
        #expect(fromFile?.code == .tooLarge)
        let fromMemory = #expect(throws: ImagingError.self) { try decoder.decode(Fixtures.bytes("texture-256x192.png")) }
        #expect(fromMemory?.code == .tooLarge)
        #expect(try decoder.decodeFile(atPath: Fixtures.path("tiny-1x1.jpg")).width == 1)
    }

    @Test("missing files, directories and unreadable files are 'unreadable'")
    func unreadable() throws {
        let decoder = ImageDecoder()
        let missing = #expect(throws: ImagingError.self) { try decoder.decodeFile(atPath: "/no/such/file.jpg") }
        #expect(missing?.code == .unreadable)
        #expect(missing?.message.contains("/no/such/file.jpg") == true)
        let directory = #expect(throws: ImagingError.self) { try decoder.decodeFile(atPath: Fixtures.images.path) }
        #expect(directory?.code == .unreadable)
    }

    @Test("zero bytes are 'empty'")
    func empty() {
        #expect(throws: ImagingError(.empty, "the file is empty (0 bytes)")) { try ImageDecoder().decode([UInt8]()) }
    }
}
