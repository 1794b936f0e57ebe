import ArgumentParser
import Foundation
import VitrineEmbedding
import VitrineImaging

/// Where the model is, and how products are fused: shared by every command that embeds.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The model manifest (models/\(ModelSpec.fileStem).json).",
        discussion: "Default: $VITRINE_MODEL, else models/ in the current folder or above, else beside the executable."))
    var model: String?

    @Option(help: "Weight of the image vector in a fused product vector.")
    var imageWeight: Float = FusionWeights.default.image

    @Option(help: "Weight of the text vector in a fused product vector.")
    var textWeight: Float = FusionWeights.default.text

    func validate() throws {
        guard imageWeight >= 0, textWeight >= 0, imageWeight + textWeight > 0 else {
            throw ValidationError("--image-weight and --text-weight must be non-negative and not both zero")
        }
    }

    /// The manifest's location: flag, then environment, then a search.
    func manifestURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let model { return URL(fileURLWithPath: model) }
        if let path = environment["VITRINE_MODEL"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return ModelLocator.find() ?? URL(fileURLWithPath: "models/\(ModelSpec.fileStem).json")
    }

    /// Loads and checks the model.
    func load() throws -> EmbeddingModel {
        do throws(EmbeddingError) {
            return try EmbeddingModel.load(manifestURL: manifestURL(),
                                           fusion: FusionWeights(image: imageWeight, text: textWeight))
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// Finds models/ by walking up from the working directory, then from the executable.
enum ModelLocator {
    static func find() -> URL? {
        let name = "models/\(ModelSpec.fileStem).json"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for start in [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), executable.deletingLastPathComponent()] {
            var folder = start
            while true {
                let candidate = folder.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
                if folder.path == "/" || folder.path.isEmpty { break }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }
}

/// A failure the CLI reports as one line on standard error, exiting with status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
