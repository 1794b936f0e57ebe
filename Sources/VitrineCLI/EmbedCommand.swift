import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging

/// `vitrine embed IMAGE... [--text T]` and `vitrine embed --text T`.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print embeddings as JSON lines: image vectors, fused with --text, or a text vector alone.",
        discussion: """
            One line per image, in order: {"file", "model", "dimension", "vector"} — the image vector, or the \
            fused product vector when --text is given. With no image, one line {"text", "model", "dimension", \
            "vector"} for the text. An undecodable file gives {"file", "error": {"code", "message"}}, the others \
            are still embedded, and the exit status is 1. Images are embedded in parallel on every core.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @Option(help: "Text to embed alone, or to fuse with each image (as the product's name).")
    var text: String?

    @Option(help: "Parallel workers (default: every core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String] = []

    @Option(help: ArgumentHelp(
        "A file listing image files, one per line ('-': standard input), embedded after any given as arguments.",
        discussion: "For thousands of files: the argument parser's cost grows with the square of the argument count (1.2 s of CPU for 5,504 paths)."))
    var filesFrom: String?

    func validate() throws {
        if images.isEmpty && filesFrom == nil && text == nil { throw ValidationError("give image files, --files-from, --text, or a mix") }
        if let text, TextNormalizer.tokens(text).isEmpty { throw ValidationError("--text has no words to embed") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    /// The image files: the arguments, then those listed by --files-from (blank lines skipped).
    func imageFiles() throws -> [String] {
        guard let filesFrom else { return images }
        let data: Data
        if filesFrom == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do { data = try Data(contentsOf: URL(fileURLWithPath: filesFrom)) } catch {
                throw CLIError("cannot read the file list \(filesFrom): \(error.localizedDescription)")
            }
        }
        let listed = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { String($0) }.filter { !$0.allSatisfy(\.isWhitespace) }
        return images + listed
    }

    func run() throws {
        let images = try imageFiles()
        if images.isEmpty && text == nil { throw CLIError("the file list \(filesFrom ?? "") names no image files") }
        let embedder = try model.load(), pipeline = try limits.pipeline()
        let textVector = try text.map { text throws in
            do throws(EmbeddingError) { return try embedder.embedText(text) } catch { throw CLIError(error.description) }
        }
        if images.isEmpty, let text, let textVector {
            JSONLineWriter.write(.object([("text", .string(text))] + Self.vectorFields(textVector)))
            return
        }
        var failures = 0
        // Files are embedded in parallel, each line rendered by its worker; lines come out in
        // input order as soon as each is ready.
        ParallelMap.stream(images, workers: jobs, window: jobs * 16) { file -> (line: String, failed: Bool) in
            let result = Result { () throws(EmbeddingError) in
                let pixels: PixelBuffer
                do throws(ImagingError) { pixels = try pipeline.pixels(atPath: file) } catch { throw EmbeddingError(error) }
                let image = embedder.embedImage(pixels)
                return textVector.map { embedder.fuse(image: image, text: $0) } ?? image
            }
            switch result {
            case .success(let vector):
                return (JSONValue.object([("file", .string(file))] + Self.vectorFields(vector)).rendered, false)
            case .failure(let error):
                let code = error.imaging?.code.rawValue ?? error.code.rawValue
                return (JSONValue.object([("file", .string(file)),
                                          ("error", .object(JSON.errorFields(code: code, message: error.message)))]).rendered, true)
            }
        } consume: { output in
            if output.failed { failures += 1 }
            JSONLineWriter.write(line: output.line)
        }
        if failures > 0 { throw ExitCode.failure }
    }

    static func vectorFields(_ embedding: Embedding) -> [(String, JSONValue)] {
        [("model", .string(embedding.model)), ("dimension", .int(embedding.vector.count)),
         ("vector", .array(embedding.vector.map { .float($0) }))]
    }
}
