import ArgumentParser
import Dispatch
import Foundation
import VitrineEmbedding
import VitrineImaging

/// Decode+embed throughput for 800×800 JPEG product photos on one core and on
/// every core, per-image latency, and product texts per second.
struct EmbedBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Decode+embed images/s (one core, all cores), latency, and texts/s; median of several runs."
    )

    @Option(help: "Runs per figure; the median is printed.")
    var runs: Int = 7

    @Option(help: "Images decoded and embedded per run.")
    var images: Int = 2_000

    @Option(help: "Product texts embedded per run.")
    var texts: Int = 10_000

    @Option(help: "A folder of JPEG photos to embed instead of the five benchmark photos (fixtures/tools/fetch-real-photos.sh).")
    var photos: String?

    func run() throws {
        let (model, photos) = try productPhotos(folder: self.photos)
        let decoder = ImageDecoder(), pipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("embed benchmark: \(photos.count) different 800×800 JPEG product photos, model \(model.id), median of \(runs) runs, \(cores) cores")

        // Warm-up (page faults, caches).
        for photo in photos { _ = try model.embedImage(try pipeline.pixels(photo)) }

        let single = try Measure.median(runs: runs) {
            for index in 0..<images { _ = model.embedImage(try pipeline.pixels(photos[index % photos.count])) }
        }
        let parallel = Measure.median(runs: runs) {
            DispatchQueue.concurrentPerform(iterations: cores) { worker in
                for index in stride(from: worker, to: images, by: cores) {
                    _ = model.embedImage(try! pipeline.pixels(photos[index % photos.count]))
                }
            }
        }
        // Split of one image's cost: decode alone at the working scale, then the features.
        let decodeOnly = try Measure.median(runs: runs) {
            for index in 0..<images { _ = try decoder.decode(photos[index % photos.count], targetSize: ModelSpec.decodeTarget) }
        }
        let decoded = try photos.map { try decoder.decode($0, targetSize: ModelSpec.decodeTarget).pixels }
        let embedOnly = Measure.median(runs: runs) {
            for index in 0..<images { _ = model.embedImage(decoded[index % decoded.count]) }
        }
        // Latency of one image at a time.
        var latencies: [Double] = []
        let clock = ContinuousClock()
        for index in 0..<500 {
            let started = clock.now
            _ = model.embedImage(try pipeline.pixels(photos[index % photos.count]))
            let elapsed = clock.now - started
            latencies.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        }
        latencies.sort()
        print("decode+embed, 1 core:   \(Measure.format(Double(images) / single, 0)) images/s")
        print("decode+embed, \(cores) cores:  \(Measure.format(Double(images) / parallel, 0)) images/s (\(Measure.format(single / parallel, 2))× one core)")
        print("  decode alone:         \(Measure.format(decodeOnly / Double(images) * 1e6, 0)) µs/image")
        print("  features+projection:  \(Measure.format(embedOnly / Double(images) * 1e6, 0)) µs/image")
        print("latency one image:      median \(Measure.format(latencies[latencies.count / 2] * 1e6, 0)) µs, p99 \(Measure.format(latencies[latencies.count * 99 / 100] * 1e6, 0)) µs")

        let productTexts = SampleTexts.make(count: texts)
        let textSeconds = try Measure.median(runs: runs) {
            for text in productTexts { _ = try model.embedText(text) }
        }
        let averageLength = productTexts.map { $0.name.count + $0.description.count }.reduce(0, +) / productTexts.count
        print("text, 1 core:           \(Measure.format(Double(texts) / textSeconds, 0)) texts/s; \(texts) texts in \(Measure.format(textSeconds, 3)) s (average \(averageLength) characters, French and English)")
    }

}

/// The repository's model and the five 800×800 product photos of `fixtures/bench`.
func productPhotos(folder: String? = nil) throws -> (EmbeddingModel, [[UInt8]]) {
    guard let fixtures = Measure.fixturesFolder() else {
        throw ValidationError("run from inside the Vitrine repository (fixtures/bench not found)")
    }
    let decoder = ImageDecoder()
    if let folder {
        return (try loadModel(fixtures), try RealPhotos.files(in: folder).map { try decoder.readFile(atPath: $0) })
    }
    let photos = try ["product-800.jpg", "product-800-1.jpg", "product-800-2.jpg", "product-800-3.jpg", "product-800-4.jpg"]
        .map { try decoder.readFile(atPath: fixtures.appendingPathComponent("bench/\($0)").path) }
    return (try loadModel(fixtures), photos)
}

/// The repository's model, for the benchmarks that embed.
func loadModel(_ fixtures: URL) throws -> EmbeddingModel {
    let manifest = fixtures.deletingLastPathComponent().appendingPathComponent("models/\(ModelSpec.fileStem).json")
    do throws(EmbeddingError) {
        return try EmbeddingModel.load(manifestURL: manifest)
    } catch {
        throw ValidationError(error.description)
    }
}

/// Realistic product texts (name + description, French and English), varied so no two are alike.
enum SampleTexts {
    static func make(count: Int) -> [ProductText] {
        let kinds = ["Robe d'été", "T-shirt col rond", "Chaussures de randonnée", "Sac à main en cuir", "Lampe de bureau",
                     "Running sneakers", "Wool scarf", "Canapé trois places", "Mug en céramique", "Leather wallet"]
        let adjectives = ["légère", "élégante", "confortable", "durable", "classique", "lightweight", "premium", "recyclée"]
        let details = ["Coton biologique, coupe droite, lavable en machine à 30 °C.",
                       "Semelle amortissante et tige respirante pour les longues distances.",
                       "Cuir pleine fleur, doublure en toile, fermeture éclair sous rabat.",
                       "Made from recycled materials, machine washable, relaxed fit.",
                       "Abat-jour conique, bras articulé, ampoule E27 non fournie."]
        return (0..<count).map { index in
            let name = "\(kinds[index % kinds.count]) \(adjectives[(index / 10) % adjectives.count]) réf. \(index)"
            let description = "\(details[index % details.count]) Taille \(36 + index % 10), coloris n°\(index % 17). \(details[(index / 5) % details.count])"
            return ProductText(name: name, description: description, metadata: "{\"sku\": \"SKU-\(index)\"}")
        }
    }
}
