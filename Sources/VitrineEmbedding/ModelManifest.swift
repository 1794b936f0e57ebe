import Foundation

/// The small JSON manifest beside the weights file (see README.md in this folder).
public struct ModelManifest: Codable, Sendable, Equatable {
    /// One block of weights inside the binary file.
    public struct Block: Codable, Sendable, Equatable {
        /// "colour", "patches" or "text".
        public var name: String
        /// "dense-f32-column-major" or "sparse-sign-u16".
        public var kind: String
        /// Input features of the block.
        public var inputs: Int
        /// Output dimension (the joint space).
        public var outputs: Int
        /// Non-zero entries per input (sparse blocks only).
        public var nonzeros: Int?
        /// Byte offset in the weights file.
        public var offset: Int
        /// Byte length in the weights file.
        public var bytes: Int
    }

    /// Always "vitrine-weights".
    public var format: String
    /// Version of this file format.
    public var formatVersion: Int
    /// Model name, e.g. "vitrine-clip".
    public var name: String
    /// Model version.
    public var version: Int
    /// The generator's seed.
    public var seed: UInt64
    /// Output dimension.
    public var dimension: Int
    /// The weights file's name, beside the manifest.
    public var file: String
    /// The weights file's size in bytes.
    public var bytes: Int
    /// Lower-case hex SHA-256 of the weights file.
    public var sha256: String
    /// The blocks, in file order.
    public var blocks: [Block]

    /// `name@version`.
    public var id: String { "\(name)@\(version)" }

    /// The manifest as written to disk: pretty, keys sorted, so generation is bit-for-bit repeatable.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
