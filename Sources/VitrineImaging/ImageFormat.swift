/// The encoded formats Vitrine decodes. The format is decided by the bytes,
/// never by the file name: a PNG named `.jpg` decodes as PNG.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    /// JPEG (JFIF, EXIF, Adobe): baseline, progressive, arithmetic; gray, YCbCr, RGB, CMYK, YCCK.
    case jpeg
    /// PNG: every colour type and bit depth, Adam7.
    case png

    /// A short human name: "JPEG", "PNG".
    public var displayName: String { rawValue.uppercased() }

    /// Decides the format from the first bytes, or throws
    /// ``ImagingError/Code/unsupportedFormat`` naming what was found instead,
    /// or ``ImagingError/Code/empty`` for no bytes at all.
    public static func detect<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(ImagingError) -> ImageFormat {
        let head = Array(bytes.prefix(512))
        if head.isEmpty { throw ImagingError(.empty, "the file is empty (0 bytes)") }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count < 3, head.starts(with: [0xFF, 0xD8].prefix(head.count)) {
            throw ImagingError(.truncated, "the file ends inside the JPEG signature (\(head.count) bytes)")
        }
        if head.count < 8, head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A].prefix(head.count)) {
            throw ImagingError(.truncated, "the file ends inside the PNG signature (\(head.count) bytes)")
        }
        let found = ForeignFormat.identify(head)
        throw ImagingError(.unsupportedFormat,
            "\(found) is not a supported image format; Vitrine reads JPEG and PNG (convert the file to one of them)")
    }
}

/// Names the common things that are not PNG or JPEG, so an error can say what was found.
enum ForeignFormat {
    static func identify(_ head: [UInt8]) -> String {
        func ascii(_ range: Range<Int>) -> String? {
            guard range.upperBound <= head.count else { return nil }
            return String(decoding: head[range], as: UTF8.self)
        }
        if let sig = ascii(0..<6), sig == "GIF87a" || sig == "GIF89a" { return "GIF image data" }
        if ascii(0..<4) == "RIFF", ascii(8..<12) == "WEBP" { return "WebP image data" }
        if ascii(0..<4) == "RIFF" { return "RIFF data (\(ascii(8..<12) ?? "unknown"))" }
        if head.starts(with: [0x42, 0x4D]) && head.count >= 14 { return "BMP image data" }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "TIFF image data"
        }
        if ascii(4..<8) == "ftyp", let brand = ascii(8..<12) {
            switch brand {
            case "avif", "avis": return "AVIF image data"
            case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1": return "HEIF/HEIC image data"
            case "crx ": return "Canon CR3 raw data"
            default: return "ISO media (MP4/QuickTime, brand \"\(brand)\")"
            }
        }
        if head.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return "JPEG 2000 image data" }
        if head.starts(with: [0xFF, 0x0A]) || head.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) {
            return "JPEG XL image data"
        }
        if head.starts(with: [0x00, 0x00, 0x01, 0x00]) { return "ICO icon data" }
        if ascii(0..<4) == "8BPS" { return "Photoshop PSD data" }
        if ascii(0..<5) == "%PDF-" { return "PDF document" }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "ZIP archive" }
        if head.starts(with: [0x1F, 0x8B]) { return "gzip data" }
        if let text = textual(head) {
            let lower = text.lowercased()
            if lower.contains("<svg") { return "SVG (vector graphics, XML text)" }
            if lower.contains("<!doctype html") || lower.contains("<html") || lower.contains("<head") || lower.contains("<body") {
                return "an HTML document (perhaps an error page saved in place of the image)"
            }
            if lower.hasPrefix("<?xml") { return "XML text" }
            if lower.hasPrefix("{") || lower.hasPrefix("[") { return "JSON text" }
            return "plain text"
        }
        let hex = head.prefix(8).map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        return "unrecognised data (first bytes \(hex))"
    }

    /// The head as text when it looks like text (valid UTF-8, no control bytes but whitespace).
    private static func textual(_ head: [UInt8]) -> String? {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        // A cut multi-byte character at the end of the sample is not a reason to call it binary.
        var text = String(decoding: bytes, as: UTF8.self)
        if text.unicodeScalars.contains(where: { $0 == "\u{FFFD}" }) {
            guard let cut = String(validating: bytes.dropLast(3), as: UTF8.self) else { return nil }
            text = cut
        }
        let control = text.unicodeScalars.contains { scalar in
            scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t"
        }
        return control ? nil : text.trimmingPrefixWhitespace()
    }
}

extension String {
    fileprivate func trimmingPrefixWhitespace() -> String {
        String(drop(while: { $0.isWhitespace }))
    }
}
