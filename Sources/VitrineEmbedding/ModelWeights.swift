import Crypto
import Foundation

/// The projection weights, loaded and checked against their manifest.
public struct ModelWeights: Sendable {
    /// The manifest the weights were loaded from.
    public let manifest: ModelManifest
    /// Colour block, column-major: input i's 512 weights at [i*512 ..< (i+1)*512].
    let colour: [Float]
    /// Patch block, column-major.
    let patches: [Float]
    /// Text block: bucket b's entries at [b*8 ..< (b+1)*8], each `row | sign << 15`.
    let text: [UInt16]

    /// Loads `manifestURL` and the weights file beside it, checking size,
    /// SHA-256, name, version and every block's shape.
    public static func load(manifestURL: URL) throws(EmbeddingError) -> ModelWeights {
        let manifest = try readManifest(manifestURL)
        let weightsURL = manifestURL.deletingLastPathComponent().appendingPathComponent(manifest.file)
        guard let data = FileManager.default.contents(atPath: weightsURL.path) else {
            throw EmbeddingError(.modelMissing, "the model's weights file \(weightsURL.path) is missing or unreadable; regenerate it with `vitrine model generate --seed \(manifest.seed)`")
        }
        return try ModelWeights(manifest: manifest, data: data, source: weightsURL.path)
    }

    /// Checks `data` against `manifest` and unpacks the blocks.
    public init(manifest: ModelManifest, data: Data, source: String = "weights") throws(EmbeddingError) {
        guard manifest.format == "vitrine-weights", manifest.formatVersion == 1 else {
            throw EmbeddingError(.modelInvalid, "\(source): unknown weights format \(manifest.format)/\(manifest.formatVersion)")
        }
        guard manifest.name == ModelSpec.name, manifest.version == ModelSpec.version else {
            throw EmbeddingError(.modelMismatch, "\(source) holds \(manifest.id), but this build computes \(ModelSpec.id)")
        }
        guard data.count == manifest.bytes else {
            throw EmbeddingError(.modelInvalid, "\(source) is \(data.count) bytes, the manifest says \(manifest.bytes): the file is truncated or altered")
        }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard digest == manifest.sha256 else {
            throw EmbeddingError(.modelInvalid, "\(source) has SHA-256 \(digest), the manifest says \(manifest.sha256): the file was altered")
        }
        guard data.prefix(8).elementsEqual(WeightsGenerator.magic) else {
            throw EmbeddingError(.modelInvalid, "\(source) does not start with the Vitrine weights signature")
        }
        func block(_ name: String, kind: String, inputs: Int, perInput: Int, elementBytes: Int) throws(EmbeddingError) -> Range<Int> {
            guard let block = manifest.blocks.first(where: { $0.name == name }) else {
                throw EmbeddingError(.modelInvalid, "\(source): the manifest has no \(name) block")
            }
            let expected = inputs * perInput * elementBytes
            guard block.kind == kind, block.inputs == inputs, block.outputs == ModelSpec.dimension,
                  block.bytes == expected, block.offset >= 0, block.offset + block.bytes <= data.count else {
                throw EmbeddingError(.modelInvalid, "\(source): the \(name) block's shape or place does not match \(ModelSpec.id)")
            }
            return block.offset..<(block.offset + block.bytes)
        }
        let colourRange = try block("colour", kind: "dense-f32-column-major", inputs: ColourSpace.binCount,
                                    perInput: ModelSpec.dimension, elementBytes: 4)
        let patchRange = try block("patches", kind: "dense-f32-column-major", inputs: PatchGrid.dimension,
                                   perInput: ModelSpec.dimension, elementBytes: 4)
        let textRange = try block("text", kind: "sparse-sign-u16", inputs: ModelSpec.textBuckets,
                                  perInput: ModelSpec.textNonzeros, elementBytes: 2)
        self.manifest = manifest
        colour = Self.floats(data, colourRange)
        patches = Self.floats(data, patchRange)
        text = data[textRange].withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        }
        for block in [colour, patches] {
            for column in 0..<(block.count / ModelSpec.dimension) {
                let start = column * ModelSpec.dimension
                for row in ModelSpec.imageSubspace..<ModelSpec.dimension where block[start + row] != 0 {
                    throw EmbeddingError(.modelInvalid, "\(source): an image weight lies outside the image dimensions")
                }
            }
        }
        for entry in text where Int(entry & 0x7FFF) >= ModelSpec.dimension || Int(entry & 0x7FFF) < ModelSpec.imageSubspace {
            throw EmbeddingError(.modelInvalid, "\(source): a text weight points outside the text dimensions")
        }
    }

    static func readManifest(_ url: URL) throws(EmbeddingError) -> ModelManifest {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EmbeddingError(.modelMissing, "the model manifest \(url.path) is missing or unreadable; run from the repository root, pass --model, or regenerate it with `vitrine model generate`")
        }
        do {
            return try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch {
            throw EmbeddingError(.modelInvalid, "the model manifest \(url.path) is not valid: \(error)")
        }
    }

    private static func floats(_ data: Data, _ range: Range<Int>) -> [Float] {
        data[range].withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }
}
