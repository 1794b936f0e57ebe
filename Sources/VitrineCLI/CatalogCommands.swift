import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineStore

/// `vitrine duplicates`: groups of near-duplicate product images.
struct DuplicatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplicates",
        abstract: "List groups of products whose images are near-duplicates (re-encoded, resized, cropped, padded).")

    @OptionGroup var store: StoreOptions

    @Option(help: "Cosine similarity of image vectors at or above which two images are near-duplicates.")
    var threshold: Float = DuplicateFinder.defaultThreshold

    @Option(help: "Only products whose metadata attributes match this JSON filter, e.g. '{\"brand\": \"Acme\"}'.")
    var filter: String?

    @Flag(help: "Print {\"groups\": [...]} as JSON.")
    var json = false

    func validate() throws {
        if !(threshold > 0 && threshold <= 1) { throw ValidationError("--threshold must be in (0, 1]") }
    }

    func run() throws {
        let storage = try store.open(), products = storage.products
        let groups: [DuplicateGroup]
        if let filter {
            // The attributes come from the live image index (its snapshot, brought up to date).
            let parsed: Filter, index: SearchIndex
            do throws(CatalogError) {
                parsed = try Filter.parse(filter)
                index = try SearchIndexes(feed: storage.feed, modelID: ModelSpec.id, snapshots: store.snapshots).open(.image).index
            } catch {
                throw CLIError(error.description)
            }
            groups = try DuplicatePairs(in: products, finder: DuplicateFinder(threshold: threshold))
                .groups(at: threshold, among: index, filter: parsed)
        } else {
            groups = try DuplicateFinder(threshold: threshold).groups(in: products)
        }
        if json {
            JSONLineWriter.write(JSON.duplicateGroups(groups))
            return
        }
        if groups.isEmpty { print("no near-duplicates among \(try products.stats().withImage) product images (threshold \(threshold))") }
        for (number, group) in groups.enumerated() {
            print("group \(number + 1) (\(group.members.count) products, similarity ≥ \(String(format: "%.3f", group.minimumScore))):")
            for member in group.members { print("  \(member.productID)  \(member.name)") }
        }
    }
}

/// `vitrine get ID`.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one stored product as JSON.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The product id.") var productID: String
    @Flag(help: "Include the vectors.") var vectors = false

    func run() throws {
        let storage = try store.open(), products = storage.products
        let found: ProductRecord?
        do throws(StoreError) { found = try products.product(id: productID) } catch { throw CLIError(error.description) }
        guard let record = found else { throw CLIError("no product \(productID) in \(storage.location)") }
        // The product's one shape (as GET /api/v1/products/{id} answers it), with its vectors when asked.
        guard case .object(var fields) = JSON.product(record) else { return }
        if vectors {
            fields.append(("fused", .array(record.fused.map(JSONValue.float))))
            fields.append(("text", .array(record.text.map(JSONValue.float))))
            fields.append(("image", record.image.map { .array($0.map(JSONValue.float)) } ?? .null))
        }
        JSONLineWriter.write(.object(fields))
    }
}

/// `vitrine delete ID`.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete one stored product.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The product id.") var productID: String

    func run() throws {
        let storage = try store.open(), products = storage.products
        let deleted: Bool
        do throws(StoreError) { deleted = try products.delete(id: productID) } catch { throw CLIError(error.description) }
        guard deleted else { throw CLIError("no product \(productID) in \(storage.location)") }
        print("deleted \(productID)")
    }
}

/// `vitrine stats`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count the stored products.")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let storage = try store.open(), products = storage.products
        let stats: StoreStats
        do throws(StoreError) { stats = try products.stats() } catch { throw CLIError(error.description) }
        if json {
            JSONLineWriter.write(.object([
                ("products", .int(stats.products)), ("with_image", .int(stats.withImage)),
                ("models", .object(stats.models.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                ("current_model", .string(ModelSpec.id)), ("database", .string(storage.location)), ("bytes", .int(stats.bytes)),
                ("kept_uploads", .int(stats.originals)), ("kept_upload_bytes", .int(stats.originalBytes)),
            ]))
            return
        }
        print("\(stats.products) products (\(stats.withImage) with an image) in \(storage.location), \(stats.bytes / 1024) KiB")
        if stats.originals > 0 {
            print("  uploaded images kept for reindex: \(stats.originals), \(stats.originalBytes / 1024) KiB")
        }
        for (model, count) in stats.models.sorted(by: { $0.key < $1.key }) {
            print("  \(model): \(count)\(model == ModelSpec.id ? "" : " (not the current \(ModelSpec.id): run `vitrine reindex`)")")
        }
    }
}

/// `vitrine export`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write ids and vectors as JSON Lines or a NumPy .npy file (ids in <output>.ids.txt).")

    @OptionGroup var store: StoreOptions
    @Option(help: "jsonl or npy.") var format: VectorExport.Format = .jsonl
    @Option(help: "Which vectors: fused, text or image.") var mode: VectorKind = .fused
    @Option(help: "The output file (default: vectors.jsonl or vectors.npy).") var output: String?

    func run() throws {
        let storage = try store.open(), products = storage.products
        let path = output ?? "vectors.\(format.rawValue)"
        do throws(CatalogError) {
            let count = try VectorExport.export(store: products, kind: mode, format: format, to: URL(fileURLWithPath: path))
            print("wrote \(count) \(mode.rawValue) vectors to \(path)\(format == .npy ? " (ids in \(path).ids.txt)" : "")")
        } catch {
            throw CLIError(error.description)
        }
    }
}

extension VectorExport.Format: ExpressibleByArgument {}

extension VectorKind: ExpressibleByArgument {}

/// `vitrine reindex`.
struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "Re-embed the products whose model is not the current one (every product with --all).",
        discussion: """
            Each product is embedded again from what it was indexed with: its image file (which must still \
            match the digest it was indexed with) or its kept upload. A product that cannot be re-embedded \
            (its file gone or changed, its upload not kept) is reported by id with the reason and left exactly \
            as it was; the exit status is then 1. A product written or deleted while reindex runs keeps that write.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions
    @Option(help: "Parallel workers (default: every core).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Re-embed every product, also those of the current model (after a change of fusion weights or thumbnail size).")
    var all = false
    @Option(help: "Where products that could not be re-embedded are written, one JSON object per line (default: reindex.failures.jsonl here).")
    var failures: String?
    @Flag(help: "Print the summary as one JSON object.") var json = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let storage = try store.open(), products = storage.products
        let indexer = CatalogIndexer(store: products, model: try model.load(), images: try limits.pipeline(), jobs: jobs)
        let progress = ProgressReporter(label: "reindexing")
        let stop = StopFlag()
        let signals = Interruption.install(stop)
        defer { signals.forEach { $0.cancel() } }
        let failuresPath = failures ?? "reindex.failures.jsonl"
        let failureLog = FailureLog(path: failuresPath)
        let summary: IndexSummary
        do throws(CatalogError) {
            summary = try indexer.reindex(all: all, stop: stop, onProgress: progress.update, onFailure: failureLog.append)
        } catch {
            throw CLIError(error.description)
        }
        failureLog.close()
        progress.finish()
        if summary.indexed > 0 && !summary.interrupted { store.refreshSnapshot(of: storage, modelID: indexer.model.id) }
        SummaryPrinter.print(summary, json: json, failuresPath: summary.failed > 0 ? failuresPath : nil)
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw ExitCode.failure }
    }
}
