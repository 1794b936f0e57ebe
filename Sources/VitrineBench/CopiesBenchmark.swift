import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Near-duplicates on real photos: copies made by fixtures/tools/make-real-copies.py (16 harsh
/// transforms of 100 photos) searched among every real photo. Prints recall@1 per transform (the
/// nearest photo is the original), the similarity of copies to their originals and of distinct
/// photos to each other, and the duplicate finder's precision and recall by threshold.
struct CopiesBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copies",
        abstract: "Recall@1 of harsh copies of real photos among all of them; duplicate precision/recall by threshold.")

    @Option(help: "The real photos (fixtures/tools/fetch-real-photos.sh): the gallery.")
    var photos = "/tmp/vitrine-real-photos"

    @Option(help: "The copies (fixtures/tools/make-real-copies.py): one folder per transform.")
    var copies = "/tmp/vitrine-real-copies"

    @Option(help: "Random image vectors added to the search index (not to the store) before searching: the scans' cost at catalogue scale.")
    var filler = 0

    @Option(help: "Copies searched per transform (at most 100).")
    var perTransform = 100

    func run() throws {
        let (model, _) = try productPhotos()
        let pipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)
        let paths = try RealPhotos.files(in: photos)
        let names = paths.map { URL(fileURLWithPath: $0).lastPathComponent }
        func embed(_ paths: [String]) throws -> [[Float]] {
            try ParallelMap.run(paths, workers: ProcessInfo.processInfo.activeProcessorCount) { path in
                Result { try model.embedImage(pipeline.pixels(atPath: path)).vector }
            }.map { try $0.get() }
        }
        let gallery = try embed(paths)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        // The gallery as a catalogue, indexed as `vitrine index-catalog` does (SQLite, thumbnails):
        // image search then runs as the API runs it, copies compared with the stored thumbnails.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-copies-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var csv = "product_id,name,description,metadata,image\n"
        for (position, path) in paths.enumerated() { csv += "\(names[position]),photo \(position),,,\(path)\n" }
        try csv.write(to: work.appendingPathComponent("catalog.csv"), atomically: true, encoding: .utf8)
        let storage = try Storage.sqlite(path: work.appendingPathComponent("store.sqlite").path)
        let summary = try CatalogIndexer(store: storage.products, model: model, images: pipeline)
            .index(catalogPath: work.appendingPathComponent("catalog.csv").path)
        guard summary.indexed == paths.count else { throw ValidationError("indexed \(summary.indexed) of \(paths.count) photos") }
        let searchIndex = SearchIndex(dimension: ModelSpec.dimension)
        try storage.products.forEachVector(.image) { searchIndex.upsert(productID: $0.productID, rowID: $0.rowID, vector: $0.vector) }
        if filler > 0 {
            // Rows the store does not have: scanned like any other, then dropped by the exact re-ranking.
            var random = SystemRandomNumberGenerator()
            searchIndex.reserve(filler + paths.count)
            for row in 0..<filler {
                var vector = [Float](repeating: 0, count: ModelSpec.dimension)
                for d in 0..<(ModelSpec.dimension / 2) { vector[d] = Float.random(in: -1...1, using: &random) }
                VectorMath.normalize(&vector)
                searchIndex.upsert(productID: "filler-\(row)", rowID: Int64(10_000_000 + row), vector: vector)
            }
        }
        let search = CatalogSearch(store: storage.products, model: model, images: pipeline)
        let transforms = try FileManager.default.contentsOfDirectory(atPath: copies).sorted()
        print("copies benchmark: \(names.count) real photos in the gallery (SQLite store, thumbnails), \(transforms.count) transforms, model \(model.id)\(filler > 0 ? ", \(filler) random vectors more in the index" : "")")
        print("recall@1: image search as the API runs it (copies compared with views of the thumbnails), and by the cosine of the wholes alone")
        print("(collage: the original among the two best, the other photo of the collage being in the gallery too)")
        print("transform      copies  recall@1  wholes only  median similarity of the wholes  lowest")
        var all: [[Float]] = gallery, source: [Int] = Array(gallery.indices)
        var copyScores: [Float] = [], recalls: [Double] = [], wholeRecalls: [Double] = [], latencies: [Double] = []
        for transform in transforms {
            let files = try FileManager.default.contentsOfDirectory(atPath: copies + "/" + transform).filter { index[$0] != nil }.sorted().prefix(perTransform).map { $0 }
            let vectors = try embed(files.map { copies + "/" + transform + "/" + $0 })
            let within = transform == "collage" ? 2 : 1
            var hits = 0, wholeHits = 0, scores: [Float] = []
            for (file, vector) in zip(files, vectors) {
                let original = index[file]!
                let bytes = try pipeline.readFile(atPath: copies + "/" + transform + "/" + file)
                let started = ContinuousClock.now
                let found = try search.search(imageBytes: bytes, in: searchIndex, kind: .image, k: within)
                let elapsed = (ContinuousClock.now - started).components
                latencies.append(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)
                if found.contains(where: { $0.productID == file }) { hits += 1 }
                let plain = try search.search(vector, in: searchIndex, kind: .image, k: within, excluding: nil)
                if plain.contains(where: { $0.productID == file }) { wholeHits += 1 }
                scores.append(VectorMath.dot(vector, gallery[original]))
                all.append(vector); source.append(original)
            }
            scores.sort()
            copyScores += scores
            recalls.append(Double(hits) / Double(max(files.count, 1)))
            wholeRecalls.append(Double(wholeHits) / Double(max(files.count, 1)))
            print("\(transform.padding(toLength: 13, withPad: " ", startingAt: 0))  \(files.count)  \(Measure.format(recalls.last!, 2))  \(Measure.format(wholeRecalls.last!, 2))  \(Measure.format(Double(scores[scores.count / 2]), 3))  \(Measure.format(Double(scores.first ?? 0), 3))")
        }
        func mean(_ values: [Double]) -> String { Measure.format(values.reduce(0, +) / Double(max(values.count, 1)), 3) }
        print("mean recall@1 over \(transforms.count) transforms: \(mean(recalls)) (wholes only: \(mean(wholeRecalls)))")
        latencies.sort()
        print("image search latency over \(latencies.count) copies (decode, views, candidates, thumbnails compared): median \(Measure.format(latencies[latencies.count / 2], 1)) ms, p90 \(Measure.format(latencies[latencies.count * 9 / 10], 1)) ms")
        // Distinct photos: every pair of gallery photos.
        var distinct: [Float] = []
        for a in gallery.indices { for b in (a + 1)..<gallery.count { distinct.append(VectorMath.dot(gallery[a], gallery[b])) } }
        distinct.sort()
        copyScores.sort()
        func percentile(_ values: [Float], _ p: Double) -> String { Measure.format(Double(values[min(values.count - 1, Int(Double(values.count) * p))]), 3) }
        print("similarity of distinct photos (\(distinct.count) pairs): median \(percentile(distinct, 0.5)), p99 \(percentile(distinct, 0.99)), p99.9 \(percentile(distinct, 0.999)), max \(percentile(distinct, 1))")
        print("similarity of copies to their originals (\(copyScores.count)): p1 \(percentile(copyScores, 0.01)), p5 \(percentile(copyScores, 0.05)), p10 \(percentile(copyScores, 0.10)), median \(percentile(copyScores, 0.5))")
        // The duplicate finder over gallery + copies: a pair is right when both come from one photo.
        let lowest: Float = 0.70
        let pairs = DuplicateFinder(threshold: lowest).pairs(all)
        let expected = all.count - gallery.count
        print("duplicate finder on \(all.count) images (\(expected) copies): threshold  pairs  precision  copies found")
        for step in 0...12 {
            let threshold = lowest + Float(step) * 0.025
            let kept = pairs.filter { $0.score >= threshold }
            let right = kept.filter { source[Int($0.a)] == source[Int($0.b)] }
            let found = Set(kept.flatMap { pair -> [Int] in
                let a = Int(pair.a), b = Int(pair.b)
                return source[a] == source[b] && (a < gallery.count || b < gallery.count) ? [max(a, b)] : []
            }).count
            let marker = abs(threshold - DuplicateFinder.defaultThreshold) < 0.001 ? "  ← default" : ""
            let precision = kept.isEmpty ? 1 : Double(right.count) / Double(kept.count)
            print("  \(Measure.format(Double(threshold), 3))  \(kept.count)  \(Measure.format(precision, 4))  \(found) / \(expected) (\(Measure.format(100 * Double(found) / Double(max(expected, 1)), 1) ) %)\(marker)")
        }
        let wrong = pairs.filter { $0.score >= DuplicateFinder.defaultThreshold && source[Int($0.a)] != source[Int($0.b)] }
        for pair in wrong.prefix(8) {
            print("  distinct above the default: \(names[source[Int(pair.a)]]) ~ \(names[source[Int(pair.b)]]) \(Measure.format(Double(pair.score), 3))")
        }
    }
}
