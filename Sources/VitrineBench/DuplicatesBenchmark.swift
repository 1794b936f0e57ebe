import ArgumentParser
import Foundation
import VitrineProbe
import VitrineCatalog
import VitrineEmbedding

/// Near-duplicate grouping over many image vectors: random unit vectors in
/// the image half with planted near-duplicate pairs; time and how many of the
/// planted pairs were found.
struct DuplicatesBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplicates", abstract: "Time DuplicateFinder over 100,000 image vectors with planted near-duplicates.")

    @Option(help: "Vectors.") var count = 100_000
    @Option(help: "Planted near-duplicate pairs.") var planted = 1_000
    @Option(help: "Runs; the median is printed.") var runs = 3

    func run() throws {
        var generator = SeededGenerator(state: 42)
        var vectors: [[Float]] = (0..<count).map { _ in
            var vector = (0..<ModelSpec.imageSubspace).map { _ in Float.random(in: -1...1, using: &generator) }
                + [Float](repeating: 0, count: ModelSpec.dimension - ModelSpec.imageSubspace)
            VectorMath.normalize(&vector)
            return vector
        }
        // Each planted copy: its original plus a little noise (cosine about 0.95).
        for pair in 0..<planted {
            let original = pair * 2, copy = count - 1 - pair
            var noisy = vectors[original].enumerated().map {
                $0.offset < ModelSpec.imageSubspace ? $0.element + Float.random(in: -0.02...0.02, using: &generator) : 0
            }
            VectorMath.normalize(&noisy)
            vectors[copy] = noisy
        }
        var times: [Double] = []
        var groups: [DuplicateFinder.Group] = []
        for _ in 0..<runs {
            let started = Date()
            groups = DuplicateFinder().groups(vectors)
            times.append(Date().timeIntervalSince(started))
        }
        times.sort()
        let found = groups.filter { $0.members.count == 2 && $0.members[0] % 2 == 0 && $0.members[1] == count - 1 - $0.members[0] / 2 }.count
        print("duplicates: \(count) image vectors, \(planted) planted pairs: median \(Measure.format(times[times.count / 2], 2)) s, found \(found) of \(planted) planted pairs, \(groups.count) groups in all (threshold \(DuplicateFinder.defaultThreshold))")
    }
}
