import Testing
@testable import VitrineImaging

/// The format comes from the bytes, and what is not PNG/JPEG is named.
@Suite("Format detection")
struct FormatDetectionTests {
    @Test("signatures", arguments: [
        ([0xFF, 0xD8, 0xFF, 0xE0] as [UInt8], ImageFormat.jpeg),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0], .png),
    ])
    func supported(_ bytes: [UInt8], _ format: ImageFormat) throws {
        #expect(try ImageFormat.detect(bytes) == format)
    }

    @Test("foreign formats are named in the message", arguments: [
        ("GIF89a....", "GIF"), ("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ", "WebP"), ("II*\u{0}\u{8}\u{0}\u{0}\u{0}", "TIFF"),
        ("BM\u{3A}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{36}\u{0}\u{0}\u{0}", "BMP"),
        ("\u{0}\u{0}\u{0}\u{1C}ftypavif", "AVIF"), ("\u{0}\u{0}\u{0}\u{18}ftypheic", "HEIC"),
        ("<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"), ("  <!DOCTYPE html><html>", "HTML"),
        ("%PDF-1.7\n", "PDF"), ("hello, world\n", "plain text"), ("{\"a\": 1}", "JSON"),
    ])
    func foreign(_ text: String, _ name: String) {
        let error = #expect(throws: ImagingError.self) { try ImageFormat.detect(Array(text.utf8)) }
        #expect(error?.code == .unsupportedFormat)
        #expect(error?.message.contains(name) == true, "\(String(describing: error?.message)) should name \(name)")
    }

    @Test("a cut signature is truncated, not unsupported")
    func cutSignature() {
        let jpeg = #expect(throws: ImagingError.self) { try ImageFormat.detect([0xFF, 0xD8] as [UInt8]) }
        #expect(jpeg?.code == .truncated)
        let png = #expect(throws: ImagingError.self) { try ImageFormat.detect([0x89, 0x50, 0x4E] as [UInt8]) }
        #expect(png?.code == .truncated)
    }

    @Test("binary noise shows its first bytes")
    func noise() {
        let error = #expect(throws: ImagingError.self) { try ImageFormat.detect([0x13, 0x00, 0xAB, 0xFE] as [UInt8]) }
        #expect(error?.message.contains("13 00 AB FE") == true)
    }
}
