import Crypto
import Foundation

/// SHA-256 in lower-case hex: image bytes and product texts.
public enum Digest {
    /// The digest of raw bytes.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        bytes.withUnsafeBytes { raw in
            for byte in SHA256.hash(data: raw) {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 15)])
            }
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The digest of a product's three text fields (separated by U+001F, which no field is expected to hold).
    public static func text(name: String, description: String, metadata: String) -> String {
        sha256(Array("\(name)\u{1F}\(description)\u{1F}\(metadata)".utf8))
    }
}
