import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineImaging
import VitrineStore

/// `vitrine search "text" | --image FILE | --like ID`.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the indexed products by text, by image, or for products like one of them.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @Argument(help: "The text to search for.")
    var query: String?

    @Option(help: "Search with this image instead.")
    var image: String?

    @Option(help: "Find products like this stored product (it is left out of the results).")
    var like: String?

    @Option(help: "How many results.")
    var topK: Int = 10

    @Option(help: "Which product vectors to compare with: fused, text or image (default: image for --image, else fused).")
    var mode: SearchMode?

    @Flag(help: "Print {\"results\": [...]} as JSON.")
    var json = false

    func validate() throws {
        let given = [query != nil, image != nil, like != nil].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of: a text query, --image FILE, --like PRODUCT_ID") }
        if topK < 1 || topK > 10_000 { throw ValidationError("--top-k must be between 1 and 10000") }
    }

    func run() throws {
        let storage = try store.open(), products = storage.products
        let embedder = try model.load(), images = try limits.pipeline()
        let search = CatalogSearch(store: products, model: embedder, images: images)
        let kind = mode?.kind ?? (image != nil ? .image : .fused)
        do throws(CatalogError) {
            // The index is read from its snapshot beside the database and brought up to date from the
            // change feed; when that applied many changes (or there was none), a fresh snapshot is saved.
            let live = try SearchIndexes(feed: storage.feed, modelID: embedder.id, snapshots: store.snapshots).open(kind)
            do { try live.saveSnapshot(minimumChanges: 1_000) } catch {
                FileHandle.standardError.write(Data("warning: \(error.message) (searches still work, reading the store)\n".utf8))
            }
            let index = live.index
            let hits: [SearchHit]
            if let query {
                hits = try search.search(text: query, in: index, kind: kind, k: topK)
            } else if let image {
                let bytes: [UInt8]
                do throws(ImagingError) { bytes = try images.readFile(atPath: image) } catch {
                    throw CatalogError(.invalidRequest, "\(image): \(error.message)")
                }
                hits = try search.search(imageBytes: bytes, in: index, kind: kind, k: topK)
            } else {
                hits = try search.similar(to: like!, in: index, kind: kind, k: topK)
            }
            Self.printHits(hits, json: json, empty: index.count == 0)
        } catch {
            // With --json, the error's one shape on standard output too (what the API answers, nested
            // under "error" as the CLI's other lines do), then the usual message and status 1.
            if json { JSONLineWriter.write(.object([("error", .object(JSON.errorFields(code: error.code.rawValue, message: error.message)))])) }
            throw CLIError(error.description)
        }
    }

    static func printHits(_ hits: [SearchHit], json: Bool, empty: Bool) {
        if json {
            JSONLineWriter.write(JSON.results(hits))
            return
        }
        if empty { print("no products indexed yet: run `vitrine index-catalog CATALOG` first") }
        for (rank, hit) in hits.enumerated() {
            print("\(String(rank + 1).padding(toLength: 3, withPad: " ", startingAt: 0)) \(String(format: "%.4f", hit.score))  \(hit.productID)  \(hit.name)")
        }
    }
}

/// Which stored vectors a search compares with.
enum SearchMode: String, ExpressibleByArgument, CaseIterable {
    case fused, text, image

    var kind: VectorKind {
        switch self {
        case .fused: return .fused
        case .text: return .text
        case .image: return .image
        }
    }
}
