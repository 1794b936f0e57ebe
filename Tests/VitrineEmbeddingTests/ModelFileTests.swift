import Foundation
import Testing
@testable import VitrineEmbedding

/// The weights file: recreated bit for bit from its seed, checked on load.
@Suite("Model file")
struct ModelFileTests {
    static func temporaryCopy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["\(ModelSpec.fileStem).json", "\(ModelSpec.fileStem).bin"] {
            try FileManager.default.copyItem(at: ModelFixtures.repository.appendingPathComponent("models/\(name)"),
                                             to: folder.appendingPathComponent(name))
        }
        return folder
    }

    @Test("generating with the default seed recreates the committed files bit for bit")
    func regenerate() throws {
        let (weights, manifest) = WeightsGenerator.generate(seed: ModelSpec.defaultSeed)
        let committed = try Data(contentsOf: ModelFixtures.repository.appendingPathComponent("models/\(ModelSpec.fileStem).bin"))
        let committedManifest = try Data(contentsOf: ModelFixtures.manifestURL)
        #expect(weights == committed)
        #expect(try manifest.encoded() == committedManifest)
        #expect(manifest.id == ModelSpec.id)
        #expect(weights.count < 4 << 20, "the weights stay small")
    }

    @Test("another seed gives other weights")
    func otherSeed() {
        #expect(WeightsGenerator.generate(seed: 1).manifest.sha256 != WeightsGenerator.generate(seed: 2).manifest.sha256)
    }

    @Test("the image blocks are orthonormal and confined to the image half; text rows to the text half")
    func structure() throws {
        let columns = WeightsGenerator.orthonormalColumns(count: 20, length: ModelSpec.imageSubspace, seed: 7)
        for i in columns.indices {
            for j in columns.indices {
                var dot = 0.0
                for k in 0..<ModelSpec.imageSubspace { dot += columns[i][k] * columns[j][k] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-9)
            }
        }
    }

    @Test("loading fails clearly when the weights are missing, truncated or altered, or the manifest is")
    func damage() throws {
        let folder = try Self.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("\(ModelSpec.fileStem).json")
        let weights = folder.appendingPathComponent("\(ModelSpec.fileStem).bin")
        let original = try Data(contentsOf: weights)
        #expect(throws: Never.self) { try ModelWeights.load(manifestURL: manifest) }

        func failure() -> EmbeddingError? {
            do throws(EmbeddingError) { _ = try ModelWeights.load(manifestURL: manifest); return nil } catch { return error }
        }
        try original.prefix(original.count - 100).write(to: weights)
        #expect(failure()?.code == .modelInvalid)
        #expect(failure()?.message.contains("truncated") == true)

        var altered = original
        altered[5_000] ^= 0x01
        try altered.write(to: weights)
        #expect(failure()?.code == .modelInvalid)
        #expect(failure()?.message.contains("SHA-256") == true)

        try FileManager.default.removeItem(at: weights)
        #expect(failure()?.code == .modelMissing)

        try original.write(to: weights)
        try Data("{not json".utf8).write(to: manifest)
        #expect(failure()?.code == .modelInvalid)
        try FileManager.default.removeItem(at: manifest)
        #expect(failure()?.code == .modelMissing)
    }

    @Test("a manifest of another version is refused as a mismatch")
    func otherVersion() throws {
        var (weights, manifest) = WeightsGenerator.generate(seed: ModelSpec.defaultSeed)
        manifest.version = ModelSpec.version + 1
        let error = #expect(throws: EmbeddingError.self) { try ModelWeights(manifest: manifest, data: weights) }
        #expect(error?.code == .modelMismatch)
    }
}
