import ArgumentParser
import VitrineEmbedding
import VitrineImaging

/// Decode limits shared by every command that reads images.
struct LimitOptions: ParsableArguments {
    @Option(help: "Largest encoded image accepted, in MiB.")
    var maxFileMib: Int = 32

    @Option(help: "Largest image accepted, in megapixels (width × height).")
    var maxMegapixels: Double = 50

    @Option(help: "Largest width or height accepted, in pixels.")
    var maxSide: Int = 20_000

    func validate() throws {
        guard maxFileMib > 0, maxMegapixels > 0, maxSide > 0 else {
            throw ValidationError("limits must be positive")
        }
    }

    func decodeLimits() throws -> DecodeLimits {
        DecodeLimits(maxEncodedBytes: maxFileMib << 20, maxPixels: Int(maxMegapixels * 1_000_000), maxSide: maxSide)
    }

    /// The image pipeline with these limits, at the model's decode size.
    func pipeline() throws -> ImagePipeline {
        ImagePipeline(limits: try decodeLimits(), targetSize: ModelSpec.decodeTarget)
    }
}
