import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineImaging
import VitrineStore

/// `vitrine search "text" | --image FILE | --like ID`, with the API's filters, pages, facets and modes.
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

    @Option(name: [.long, .customLong("limit")], help: "How many results (a page).")
    var topK: Int = 10

    @Option(help: "Results skipped: the page's start (offset + limit at most 10000).")
    var offset: Int?

    @Option(help: "The \"next\" cursor a previous page printed (instead of --offset).")
    var cursor: String?

    @Option(help: "Which ranking: fused, text or image vectors, or hybrid (fused vectors and the full-text ranking; default: image for --image, else fused).")
    var mode: SearchMode?

    @Option(help: "The lexical ranking's weight in hybrid mode, 0 to 1 (default 0.5, or $VITRINE_HYBRID_WEIGHT).")
    var hybridWeight: Double?

    @Option(help: "Only products whose metadata attributes match this JSON filter, e.g. '{\"brand\": \"Acme\", \"price\": {\"lt\": 50}}'.")
    var filter: String?

    @Option(help: "Drop results scoring below this.")
    var minScore: Float?

    @Option(name: .customLong("facet"), help: "Count the values of this attribute among the matching products (repeatable).")
    var facets: [String] = []

    @Flag(help: "Print the page as JSON: {\"results\": [...], \"total\": n, \"next\": ..., \"facets\": {...}}.")
    var json = false

    func validate() throws {
        let given = [query != nil, image != nil, like != nil].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of: a text query, --image FILE, --like PRODUCT_ID") }
    }

    /// The flags as the fields a search request carries (one set of rules: ``SearchParameters``).
    var fields: [String: String] {
        var fields: [String: String] = ["limit": String(topK)]
        fields["offset"] = offset.map(String.init)
        fields["cursor"] = cursor
        fields["mode"] = mode?.rawValue
        fields["hybrid_weight"] = hybridWeight.map { String($0) }
        fields["filter"] = filter
        fields["min_score"] = minScore.map { String($0) }
        if !facets.isEmpty { fields["facets"] = facets.joined(separator: ",") }
        return fields
    }

    func run() throws {
        let storage = try store.open(), products = storage.products
        let embedder = try model.load(), images = try limits.pipeline()
        let search = CatalogSearch(store: products, model: embedder, images: images)
        let defaultWeight = try Setting.value(nil as Double?, "VITRINE_HYBRID_WEIGHT", SearchOptions.defaultLexicalWeight)
        let identity = query.map { "text:\($0)" } ?? like.map { "similar:\($0)" } ?? "image:\(image ?? "")"
        do throws(CatalogError) {
            var fieldLimits = FieldLimits.default
            fieldLimits.topK = SearchOptions.maxWindow // a command may ask for a long list in one page
            let parameters = try SearchParameters.read(fields, image: image != nil, limits: fieldLimits,
                                                       lexicalWeight: defaultWeight, identity: identity)
            let kind = parameters.kind, options = parameters.options
            // The index is read from its snapshot beside the database and brought up to date from the
            // change feed; when that applied many changes (or there was none), a fresh snapshot is saved.
            let live = try SearchIndexes(feed: storage.feed, modelID: embedder.id, snapshots: store.snapshots).open(kind)
            do { try live.saveSnapshot(minimumChanges: 1_000) } catch {
                FileHandle.standardError.write(Data("warning: \(error.message) (searches still work, reading the store)\n".utf8))
            }
            let index = live.index
            let page: SearchPage
            if let query {
                page = try search.search(text: query, in: index, kind: kind, options: options)
            } else if let image {
                let bytes: [UInt8]
                do throws(ImagingError) { bytes = try images.readFile(atPath: image) } catch {
                    throw CatalogError(.invalidRequest, "\(image): \(error.message)")
                }
                page = try search.search(imageBytes: bytes, in: index, kind: kind, options: options)
            } else {
                page = try search.similar(to: like!, in: index, kind: kind, options: options)
            }
            Self.printPage(page, parameters, json: json, empty: index.count == 0)
        } catch {
            // With --json, the error's one shape on standard output too (what the API answers, nested
            // under "error" as the CLI's other lines do), then the usual message and status 1.
            if json { JSONLineWriter.write(.object([("error", .object(JSON.errorFields(code: error.code.rawValue, message: error.message)))])) }
            throw CLIError(error.description)
        }
    }

    static func printPage(_ page: SearchPage, _ parameters: SearchParameters, json: Bool, empty: Bool) {
        let next = parameters.next(page)
        if json {
            JSONLineWriter.write(JSON.page(page, options: parameters.options, next: next))
            return
        }
        if empty { print("no products indexed yet: run `vitrine index-catalog CATALOG` first") }
        for (rank, hit) in page.hits.enumerated() {
            let place = String(parameters.options.offset + rank + 1).padding(toLength: 3, withPad: " ", startingAt: 0)
            print("\(place) \(String(format: "%.4f", hit.score))  \(hit.productID)  \(hit.name)")
        }
        if parameters.options.filter != nil { print("\(page.total) products match the filter") }
        for facet in page.facets {
            print("\(facet.name): " + facet.values.map { "\(JSON.attribute($0.value).rendered) (\($0.count))" }.joined(separator: ", "))
        }
        if let next { print("more: --cursor \(next)") }
    }
}

/// Which stored vectors a search compares with.
enum SearchMode: String, ExpressibleByArgument, CaseIterable {
    case fused, text, image, hybrid
}
