import ArgumentParser
import Foundation
import VitrineEmbedding

/// `vitrine model generate | verify | goldens`: the weights file and the golden vectors.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create, check and pin the embedding model's weights.",
        subcommands: [Generate.self, Verify.self, Goldens.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the weights file and its manifest, bit for bit, from a seed.")

        @Option(help: "The random seed (the committed weights use \(ModelSpec.defaultSeed)).")
        var seed: UInt64 = ModelSpec.defaultSeed

        @Option(help: "The folder to write into.")
        var output: String = "models"

        func run() throws {
            let (weights, manifest) = WeightsGenerator.generate(seed: seed)
            let folder = URL(fileURLWithPath: output)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let weightsURL = folder.appendingPathComponent(manifest.file)
            let manifestURL = folder.appendingPathComponent("\(ModelSpec.fileStem).json")
            try weights.write(to: weightsURL, options: .atomic)
            try manifest.encoded().write(to: manifestURL, options: .atomic)
            print("wrote \(manifest.id) (seed \(seed), \(weights.count) bytes, sha256 \(manifest.sha256)) to \(weightsURL.path) and \(manifestURL.path)")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the weights file against its manifest (size, SHA-256, shapes). Exit 1 if it fails.")

        @OptionGroup var model: ModelOptions

        func run() throws {
            let url = model.manifestURL()
            do throws(EmbeddingError) {
                let weights = try ModelWeights.load(manifestURL: url)
                print("ok: \(weights.manifest.id) at \(url.path), \(weights.manifest.bytes) bytes, sha256 \(weights.manifest.sha256)")
            } catch {
                throw CLIError("model verify failed: \(error.description)")
            }
        }
    }

    struct Goldens: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite the golden vectors (fixtures/expected/) from the fixture products.",
            discussion: "Run only with a deliberate model change (a new ModelSpec.version): the golden test exists to catch unintended ones.")

        @OptionGroup var model: ModelOptions

        @Option(help: "The product list.")
        var products: String = "fixtures/products/products.jsonl"

        @Option(help: "The folder to write into.")
        var output: String = "fixtures/expected"

        func run() throws {
            let embedder = try model.load()
            let count = try GoldenVectors.write(products: URL(fileURLWithPath: products),
                                                to: URL(fileURLWithPath: output), model: embedder)
            print("wrote golden vectors for \(count) products (\(embedder.id)) to \(output)")
        }
    }
}
