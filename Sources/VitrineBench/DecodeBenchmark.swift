import ArgumentParser
import Foundation
import VitrineImaging

/// Decode throughput for an 800×800 product photo: JPEG at full size and at
/// each DCT scale, the same picture as PNG, and how fast bombs are refused.
struct DecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode throughput (images/s, megapixels/s) on one thread, median of several runs."
    )

    @Option(help: "Runs per figure; the median is printed.")
    var runs: Int = 7

    @Option(help: "Decodes per run for JPEG (PNG uses a quarter).")
    var iterations: Int = 200

    @Option(help: "The JPEG to decode (default fixtures/bench/product-800.jpg).")
    var jpeg: String?

    @Option(help: "The PNG to decode (default fixtures/bench/product-800.png).")
    var png: String?

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else {
            throw ValidationError("run from inside the Vitrine repository (fixtures/bench not found)")
        }
        let jpegPath = jpeg ?? fixtures.appendingPathComponent("bench/product-800.jpg").path
        let pngPath = png ?? fixtures.appendingPathComponent("bench/product-800.png").path
        let decoder = ImageDecoder()
        let jpegBytes = try decoder.readFile(atPath: jpegPath)
        let pngBytes = try decoder.readFile(atPath: pngPath)
        let info = try decoder.info(of: jpegBytes)
        let megapixels = Double(info.width * info.height) / 1_000_000

        print("decode benchmark: \(jpegPath) (\(info.width)×\(info.height), \(jpegBytes.count) bytes), one thread, median of \(runs) runs")
        print("case                      target  output     ms/image  images/s   MP/s (source)")
        var fullRate = 0.0
        for (label, target) in [("jpeg full", nil), ("jpeg 1/2", 400), ("jpeg 1/4", 200), ("jpeg 1/8", 100), ("jpeg for 128 px target", 128)] as [(String, Int?)] {
            let sample = try decoder.decode(jpegBytes, targetSize: target)
            let seconds = try Measure.median(runs: runs) {
                for _ in 0..<iterations { _ = try decoder.decode(jpegBytes, targetSize: target) }
            } / Double(iterations)
            if target == nil { fullRate = 1 / seconds }
            let speedup = target == nil ? "" : "  (\(Measure.format(fullRate * seconds > 0 ? 1 / seconds / fullRate : 0, 2))× full)"
            print(row(label, target, sample, seconds, megapixels) + speedup)
        }
        let pngIterations = max(1, iterations / 4)
        let pngSample = try decoder.decode(pngBytes)
        let pngSeconds = try Measure.median(runs: runs) {
            for _ in 0..<pngIterations { _ = try decoder.decode(pngBytes) }
        } / Double(pngIterations)
        print(row("png full", nil, pngSample, pngSeconds, megapixels))

        for bomb in ["bad/bomb-30000.png", "bad/bomb-65500.jpg"] {
            let bytes = try decoder.readFile(atPath: fixtures.appendingPathComponent("images/\(bomb)").path)
            let seconds = Measure.median(runs: runs) {
                for _ in 0..<100 {
                    do throws(ImagingError) { _ = try decoder.decode(bytes) } catch { precondition(error.code == .tooLarge) }
                }
            } / 100
            print("refuse \(bomb): \(Measure.format(seconds * 1_000_000, 1)) µs (too_large, from the header)")
        }
    }

    private func row(_ label: String, _ target: Int?, _ image: DecodedImage, _ seconds: Double, _ megapixels: Double) -> String {
        let name = label.padding(toLength: 24, withPad: " ", startingAt: 0)
        let targetText = (target.map(String.init) ?? "-").padding(toLength: 6, withPad: " ", startingAt: 0)
        let output = "\(image.pixels.width)×\(image.pixels.height)".padding(toLength: 9, withPad: " ", startingAt: 0)
        return "\(name)  \(targetText)  \(output)  \(Measure.format(seconds * 1000, 3).padding(toLength: 8, withPad: " ", startingAt: 0))  \(Measure.format(1 / seconds, 0).padding(toLength: 9, withPad: " ", startingAt: 0))  \(Measure.format(megapixels / seconds, 1))"
    }
}
