/// The one error type of the imaging layer: what went wrong, as a stable code
/// for programs and a message a person can act on.
public struct ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, machine-readable reasons. The raw values are the codes printed by
    /// `vitrine inspect` and returned by the HTTP API.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The bytes are not a PNG or JPEG (GIF, WebP, text...), or a variant this build cannot decode.
        case unsupportedFormat = "unsupported_format"
        /// The file is damaged: bad checksum, bad entropy code, invalid header.
        case corrupt
        /// The data ends before the image does.
        case truncated
        /// Above one of the ``DecodeLimits``.
        case tooLarge = "too_large"
        /// Zero bytes.
        case empty
        /// The file could not be read at all (missing, a directory, no permission).
        case unreadable
        /// The decoder could not get memory.
        case outOfMemory = "out_of_memory"
    }

    /// Why decoding failed.
    public var code: Code
    /// A sentence for a person: what was found and, where it helps, what to do.
    public var message: String

    /// Creates an error with its code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
