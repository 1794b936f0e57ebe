import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Where indexing's time goes per product on real photos, on one core: each stage of
/// `ProductEmbedder.record` (as `index-catalog` runs it) timed on its own over the same
/// photos, then the whole record, then what `vitrine embed` does (decode at the model's
/// target + image vector). Median of several runs; the stages of one run are taken in the
/// same minute, so their shares compare.
struct StagesBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "Per-product cost of each indexing stage on real photos, one core; medians.")

    @Option(help: "The real photos (fixtures/tools/fetch-real-photos.sh).")
    var photos = "/tmp/vitrine-real-photos"

    @Option(help: "Only photos whose longer side is at least this (from manifest.tsv).")
    var minSide = 600

    @Option(help: "Runs per figure; the median is printed.")
    var runs = 5

    @Option(help: "Only the stages whose name contains this (to profile one).")
    var only: String?

    @Option(help: "Products each run's store already holds before the write is timed (the photos' records under other ids).")
    var prefill = 0

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else {
            throw ValidationError("run from inside the Vitrine repository (fixtures/bench not found)")
        }
        let model = try loadModel(fixtures)
        let files = try RealPhotos.files(in: photos, minSide: minSide)
        let pipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)
        let embedder = ProductEmbedder(model: model, images: pipeline)
        let bytes = try files.map { try pipeline.readFile(atPath: $0) }
        let decoded = try bytes.map { try pipeline.decoder.decode($0, targetSize: ModelSpec.decodeTarget).pixels }
        let texts = SampleTexts.make(count: files.count)
        let count = Double(files.count)
        /// Photo `index`'s record, as index-catalog builds it.
        func record(_ index: Int) throws -> ProductRecord {
            let text = texts[index]
            return try embedder.record(ProductFields(productID: "p\(index)", name: text.name, description: text.description,
                                                     metadata: text.metadata), image: bytes[index], imageDigest: nil, imagePath: files[index])
        }
        print("stages benchmark: \(files.count) real photos (longer side ≥ \(minSide) px), one core, median of \(runs) runs, µs per product")
        var rows: [(String, Double)] = []
        func stage(_ name: String, _ body: () throws -> Void) rethrows {
            if let only, !name.contains(only) { return }
            let seconds = try Measure.median(runs: runs, body)
            rows.append((name, seconds / count * 1e6))
        }
        try stage("read the file") { for file in files { _ = try pipeline.readFile(atPath: file) } }
        stage("SHA-256 of the file") { for image in bytes { _ = Digest.sha256(image) } }
        try stage("decode (\(ModelSpec.decodeTarget)-px target)") {
            for image in bytes { _ = try pipeline.decoder.decode(image, targetSize: ModelSpec.decodeTarget) }
        }
        stage("image vector (features, projection)") { for pixels in decoded { _ = model.embedImage(pixels) } }
        try stage("thumbnail (shrink, encode)") { for pixels in decoded { _ = try Thumbnail.make(from: pixels) } }
        try stage("text vector") { for text in texts { _ = try model.embedText(text) } }
        let parts = rows.reduce(0) { $0 + $1.1 }
        try stage("the whole record (ProductEmbedder)") { for index in bytes.indices { _ = try record(index) } }
        try stage("vitrine embed's work (decode, image vector)") {
            for image in bytes { _ = model.embedImage(try pipeline.pixels(image)) }
        }
        // The write: every photo's record under new ids, in index-catalog's batches of 256, into a
        // fresh SQLite store each run.
        let records = try bytes.indices.map(record)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-stages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Each run's store is made (and migrated, and filled with --prefill products) beforehand.
        let stores = try (0..<runs).map { run in
            let store = try SQLiteProductStore(path: folder.appendingPathComponent("w\(run).sqlite").path)
            if only == nil || "write to SQLite".contains(only!) {
                for start in stride(from: 0, to: prefill, by: 256) {
                    try store.upsert((start..<min(start + 256, prefill)).map { index in
                        var record = records[index % records.count]
                        record.productID = "fill\(index)"
                        return record
                    })
                }
            }
            return store
        }
        var round = 0
        try stage("write to SQLite (batches of 256\(prefill > 0 ? ", after \(prefill)" : ""))") {
            let store = stores[round]
            round += 1
            for start in stride(from: 0, to: records.count, by: 256) {
                try store.upsert(Array(records[start..<min(start + 256, records.count)]))
            }
        }
        for (name, micros) in rows {
            print("  \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(Measure.format(micros, 1)) µs")
        }
        print("  sum of the stages above the whole record: \(Measure.format(parts, 1)) µs")
    }
}
