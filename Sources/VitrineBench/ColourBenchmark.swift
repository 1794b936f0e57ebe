import ArgumentParser
import Foundation
import VitrineEmbedding
import VitrineImaging

/// Colour words on real photos: each query (English and French) ranks the photos by the
/// text vector against their image vectors; precision@k against colour groups checked by eye
/// (fixtures/real-photos/colours.tsv: colour, then the photos of that colour).
struct ColourBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colours",
        abstract: "Colour-word precision@k on real photos against colour groups checked by eye.")

    @Option(help: "The real photos (fixtures/tools/fetch-real-photos.sh).")
    var photos = "/tmp/vitrine-real-photos"

    @Option(help: "The colour groups: lines of `colour<TAB>photo<TAB>photo…`.")
    var groups = "fixtures/real-photos/colours.tsv"

    @Option(help: "Results judged per query.")
    var k = 5

    @Flag(help: "Print each query's top results (to check the groups by eye).")
    var verbose = false

    /// The queries per colour group, English then French.
    static let queries: [String: [String]] = [
        "red": ["red", "rouge"], "orange": ["orange", "orangé"], "yellow": ["yellow", "jaune"],
        "green": ["green", "vert"], "blue": ["blue", "bleu"], "purple": ["purple", "violet"],
        "pink": ["pink", "rose"], "brown": ["brown", "marron"], "black": ["black", "noir"],
        "white": ["white", "blanc"], "grey": ["grey", "gris"],
    ]

    func run() throws {
        let (model, _) = try productPhotos()
        let files = try RealPhotos.files(in: photos)
        let names = files.map { URL(fileURLWithPath: $0).lastPathComponent }
        let pipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)
        let vectors = try files.map { model.embedImage(try pipeline.pixels(atPath: $0)).vector }
        var group: [String: Set<String>] = [:]
        if let text = try? String(contentsOfFile: groups, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let fields = line.split(separator: "\t").map(String.init)
                if fields.count > 1 { group[fields[0]] = Set(fields.dropFirst()) }
            }
        }
        print("colour benchmark: \(names.count) real photos, model \(model.id), precision@\(k) against \(groups) (\(group.count) groups)")
        var precisions: [Double] = []
        for colour in Self.queries.keys.sorted() {
            for query in Self.queries[colour]! {
                let text = try model.embedText(query).vector
                let ranked = vectors.indices.sorted { VectorMath.dot(vectors[$0], text) > VectorMath.dot(vectors[$1], text) }
                let top = ranked.prefix(verbose ? 12 : k).map { names[$0] }
                if let members = group[colour] {
                    let hits = top.prefix(k).filter { members.contains($0) }.count
                    precisions.append(Double(hits) / Double(k))
                    print("\(query) (\(colour), \(members.count) photos): precision@\(k) \(Measure.format(Double(hits) / Double(k), 2))")
                }
                if verbose { print("  top \(colour) \(query): \(top.joined(separator: " "))") }
            }
        }
        if !precisions.isEmpty {
            print("mean precision@\(k): \(Measure.format(precisions.reduce(0, +) / Double(precisions.count), 3)) over \(precisions.count) queries")
        }
    }
}
