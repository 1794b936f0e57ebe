import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineStore

/// `vitrine index-catalog CATALOG`: the whole catalogue, on every core, resumably.
struct IndexCatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-catalog",
        abstract: "Index a catalogue (CSV or JSON Lines) with its images into the database.",
        discussion: """
            Fields: product_id, name (required), description, metadata, image (a path, absolute or relative to \
            the catalogue's folder or --images-root; empty for a text-only product). Run it again and unchanged \
            products are skipped without decoding; an interrupted run resumes where it stopped. Bad rows and \
            images are reported with their row number in the summary and the failures file; the exit status is \
            1 when anything failed.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var fieldLimits: FieldLimitOptions

    @Argument(help: "The catalogue file (.csv, .jsonl).")
    var catalog: String

    @Option(help: "Folder that relative image paths start from (default: the catalogue's folder).")
    var imagesRoot: String?

    @Option(help: "Parallel workers (default: every core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Rows per batch and per transaction.")
    var batchSize: Int = 256

    @Option(help: "Where failed rows are written, one JSON object per line (default: <catalogue name>.failures.jsonl here).")
    var failures: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Flag(help: "Report progress on standard error as one JSON line after each committed batch: {\"progress\": {\"done\": rows handled, \"total\", \"failed\", \"seconds\"}}; rows up to `done` that did not fail are stored.")
    var progressJSON = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let storage = try store.open(), products = storage.products
        let indexer = CatalogIndexer(store: products, model: try model.load(), images: try limits.pipeline(), jobs: jobs, batchSize: batchSize,
                                     limits: try fieldLimits.fieldLimits())
        let failuresPath = failures ?? URL(fileURLWithPath: catalog).deletingPathExtension().lastPathComponent + ".failures.jsonl"
        let failureLog = FailureLog(path: failuresPath)
        let summary = try Self.index(catalog, imagesRoot: imagesRoot, with: indexer, label: "indexing", progressJSON: progressJSON,
                                     onFailure: failureLog.append)
        failureLog.close()
        if summary.indexed > 0 && !summary.interrupted { store.refreshSnapshot(of: storage, modelID: indexer.model.id) }
        SummaryPrinter.print(summary, json: json, failuresPath: summary.failed > 0 ? failuresPath : nil)
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw ExitCode.failure }
    }
}

extension IndexCatalogCommand {
    /// Indexes `catalog` with a progress display; Ctrl-C stops it after the batch in hand
    /// (the summary says so). Shared by `index-catalog` and `serve --catalog`.
    static func index(_ catalog: String, imagesRoot: String?, with indexer: CatalogIndexer, label: String,
                      progressJSON: Bool = false, onFailure: (RowFailure) -> Void) throws -> IndexSummary {
        let stop = StopFlag()
        let signals = Interruption.install(stop)
        defer { signals.forEach { $0.cancel() } }
        let progress = ProgressReporter(label: label, json: progressJSON)
        defer { progress.finish() }
        do throws(CatalogError) {
            return try indexer.index(catalogPath: catalog, imagesRoot: imagesRoot, stop: stop,
                                     onProgress: progress.update, onFailure: onFailure)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// The failures file: one JSON line per failed row, written as failures happen.
final class FailureLog: @unchecked Sendable {
    private let path: String
    private var handle: FileHandle?

    init(path: String) {
        self.path = path
        // A stale failures file from an earlier run would mislead: remove it (only ever a regular file).
        if (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func append(_ failure: RowFailure) {
        if handle == nil {
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            handle = FileHandle(forWritingAtPath: path)
            if handle == nil {
                FileHandle.standardError.write(Data("warning: cannot write the failures file \(path); failures are only in the summary\n".utf8))
                handle = FileHandle.nullDevice
            }
        }
        handle?.write(Data((JSON.rowFailure(failure).rendered + "\n").utf8))
    }

    func close() { try? handle?.close() }
}

/// The end-of-run summary, as text or one JSON object.
enum SummaryPrinter {
    static func print(_ summary: IndexSummary, json: Bool, failuresPath: String?) {
        if json {
            var fields: [(String, JSONValue)] = [
                ("indexed", .int(summary.indexed)), ("unchanged", .int(summary.unchanged)),
                ("failed", .int(summary.failed)), ("seconds", .double((summary.seconds * 1000).rounded() / 1000)),
                ("rows", .int(summary.rows)), ("duplicate_ids", .int(summary.duplicateIDs)),
            ]
            if summary.superseded > 0 { fields.append(("superseded", .int(summary.superseded))) }
            if summary.interrupted { fields.append(("interrupted", .bool(true))) }
            if let failuresPath { fields.append(("failures_file", .string(failuresPath))) }
            fields.append(("failures", .array(summary.failures.map(JSON.rowFailure))))
            JSONLineWriter.write(.object(fields))
            return
        }
        let rate = summary.seconds > 0 ? Double(summary.indexed) / summary.seconds : 0
        var lines = ["\(summary.interrupted ? "interrupted: " : "")indexed \(summary.indexed), unchanged \(summary.unchanged), failed \(summary.failed) — \(summary.rows) rows in \(String(format: "%.2f", summary.seconds)) s (\(String(format: "%.0f", rate)) products/s)"]
        if summary.superseded > 0 {
            lines.append("superseded: \(summary.superseded) product(s) were written or deleted meanwhile; that newer write stands")
        }
        if summary.duplicateIDs > 0 {
            lines.append("duplicate product ids: \(summary.duplicateIDs) row(s) repeated an earlier id; the last row won (\(summary.duplicateExamples.joined(separator: ", ")))")
        }
        if summary.failed > 0 {
            lines.append("failures\(failuresPath.map { " (all of them in \($0))" } ?? ""):")
            for failure in summary.failures.prefix(20) {
                lines.append("  row \(failure.row)  \(failure.productID ?? "-")  \(failure.code)  \(failure.reason)")
            }
            if summary.failed > 20 { lines.append("  … and \(summary.failed - 20) more") }
        }
        if summary.interrupted { lines.append("run the same command again to resume: committed products are kept") }
        Swift.print(lines.joined(separator: "\n"))
    }
}
