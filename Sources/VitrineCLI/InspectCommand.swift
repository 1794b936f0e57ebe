import VitrineCatalog
import ArgumentParser
import VitrineImaging

/// `vitrine inspect FILE...`: decodes each file in full and prints one JSON line for it.
public struct InspectCommand: ParsableCommand {
    /// Describes the subcommand.
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode images and print one JSON line per file: format and upright size, or the error.",
        discussion: """
            Each line is {"file", "format", "width", "height", "orientation"} for a good file, \
            or {"file", "error": {"code", "message"}} for a bad one. Width and height are the \
            upright size, after the EXIF orientation. Exit status: 0 when every file decoded, 1 otherwise.
            """
    )

    @OptionGroup var limits: LimitOptions

    /// The files to inspect, in order.
    @Argument(help: "Image files (PNG or JPEG, whatever their names say).")
    var files: [String]

    /// Creates the command (ArgumentParser calls this).
    public init() {}

    /// Inspects every file and exits 1 when any failed.
    public func run() throws {
        let decoder = ImageDecoder(limits: try limits.decodeLimits())
        var failures = 0
        for file in files {
            let report = InspectReport.make(file: file, decoder: decoder)
            if !report.ok { failures += 1 }
            JSONLineWriter.write(report.line)
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

/// One line of `vitrine inspect` output.
enum InspectReport {
    /// Decodes `file` in full and describes it, or the error.
    static func make(file: String, decoder: ImageDecoder) -> (line: JSONValue, ok: Bool) {
        do throws(ImagingError) {
            let image = try decoder.decodeFile(atPath: file)
            return (.object([
                ("file", .string(file)),
                ("format", .string(image.format.rawValue)),
                ("width", .int(image.width)),
                ("height", .int(image.height)),
                ("orientation", .int(image.orientation.rawValue)),
            ]), true)
        } catch {
            return (.object([
                ("file", .string(file)),
                ("error", .object(JSON.errorFields(code: error.code.rawValue, message: error.message))),
            ]), false)
        }
    }
}
