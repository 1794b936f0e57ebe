import VitrineImaging

/// The one error type of the embedding layer.
public struct EmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, machine-readable reasons.
    public enum Code: String, Sendable, Codable {
        /// The model files are missing or unreadable.
        case modelMissing = "model_missing"
        /// The weights file does not match its manifest (size, digest, shapes), or the manifest is malformed.
        case modelInvalid = "model_invalid"
        /// The model on disk is another version than this build computes features for.
        case modelMismatch = "model_mismatch"
        /// The input cannot be embedded (no text and no image, wrong vector size...).
        case invalidInput = "invalid_input"
        /// The image could not be decoded; `imaging` holds why.
        case image
    }

    /// Why it failed.
    public var code: Code
    /// A sentence for a person.
    public var message: String
    /// The decoder's error, when `code` is ``Code/image``.
    public var imaging: ImagingError?

    /// Creates an error.
    public init(_ code: Code, _ message: String, imaging: ImagingError? = nil) {
        self.code = code
        self.message = message
        self.imaging = imaging
    }

    /// Wraps a decoder error.
    public init(_ imaging: ImagingError) {
        self.init(.image, imaging.message, imaging: imaging)
    }

    /// `code: message`.
    public var description: String { "\(imaging?.code.rawValue ?? code.rawValue): \(message)" }
}
