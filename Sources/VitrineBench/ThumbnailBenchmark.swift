import ArgumentParser
import Foundation
import VitrineEmbedding
import VitrineImaging

/// What a thumbnail adds to indexing one image: decode and embed as model version 1
/// did without thumbnails (a 64-px decode target), against version 2's path (a 192-px
/// target whose pixels also make the thumbnail), as the indexer runs it.
struct ThumbnailBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Thumbnail cost per image at index time (800×800 JPEGs, one core); median of several runs."
    )

    @Option(help: "Runs per figure; the median is printed.")
    var runs: Int = 7

    @Option(help: "Images per run.")
    var images: Int = 1_000

    func run() throws {
        let (model, photos) = try productPhotos()
        let decoder = ImageDecoder()
        print("thumbnail benchmark: \(photos.count) different 800×800 JPEGs, one core, median of \(runs) runs of \(images) images")
        let without = try Measure.median(runs: runs) {
            for index in 0..<images {
                let decoded = try decoder.decode(photos[index % photos.count], targetSize: 64)
                _ = model.embedImage(decoded.pixels)
            }
        }
        var bytes = 0
        let with = try Measure.median(runs: runs) {
            bytes = 0
            for index in 0..<images {
                let photo = photos[index % photos.count]
                let decoded = try decoder.decode(photo, targetSize: ModelSpec.decodeTarget)
                _ = model.embedImage(decoded.pixels)
                bytes += try Thumbnail.make(from: decoded.pixels).count
            }
        }
        // A thumbnail made apart (its own decode, the shrink, the JPEG encode), for comparison.
        let target = Thumbnail.minimumSide
        let big = try photos.map { try decoder.decode($0, targetSize: target).pixels }
        let decode = try Measure.median(runs: runs) {
            for index in 0..<images { _ = try decoder.decode(photos[index % photos.count], targetSize: target) }
        }
        let small = big.map { Thumbnail.shrink($0, longestSide: Thumbnail.longestSide) }
        let shrink = Measure.median(runs: runs) {
            for index in 0..<images { _ = Thumbnail.shrink(big[index % big.count], longestSide: Thumbnail.longestSide) }
        }
        let encode = try Measure.median(runs: runs) {
            for index in 0..<images { _ = try Thumbnail.encode(small[index % small.count], quality: Thumbnail.quality) }
        }
        func ms(_ seconds: Double) -> String { Measure.format(seconds / Double(images) * 1000, 3) }
        print("  its decode at \(big[0].width)×\(big[0].height): \(ms(decode)) ms, shrink to \(small[0].width)×\(small[0].height): \(ms(shrink)) ms, JPEG encode: \(ms(encode)) ms")
        let perImage = (with - without) / Double(images) * 1000
        print("decode (64-px target, version 1) + embed: \(Measure.format(without / Double(images) * 1000, 3)) ms per image")
        print("decode (\(ModelSpec.decodeTarget)-px target) + embed + thumbnail: \(Measure.format(with / Double(images) * 1000, 3)) ms per image")
        print("thumbnail: \(Measure.format(perImage, 3)) ms per image at index time (\(bytes / images) bytes on average)")
    }
}
