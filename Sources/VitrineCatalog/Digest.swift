import Crypto
import Foundation

/// SHA-256 in lower-case hex: image bytes and product texts.
public enum Digest {
    /// The digest of raw bytes.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        bytes.withUnsafeBytes { raw in
            SHA256.hash(data: raw).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }

    /// The digest of a product's three text fields (separated by U+001F, which no field is expected to hold).
    public static func text(name: String, description: String, metadata: String) -> String {
        sha256(Array("\(name)\u{1F}\(description)\u{1F}\(metadata)".utf8))
    }
}
