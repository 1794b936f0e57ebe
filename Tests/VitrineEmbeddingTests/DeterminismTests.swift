import Dispatch
import Foundation
import Testing
import VitrineEmbedding

/// The same input gives bit-identical vectors on every run, with any thread count.
@Suite("Determinism")
struct DeterminismTests {
    static let files: [String] = {
        let folder = ModelFixtures.repository.appendingPathComponent("fixtures/products")
        return ModelFixtures.products.map { folder.appendingPathComponent($0.image!).path }
            + ["p01--flip.jpg", "p05--pad-transparent.png", "p09--quarter.jpg"].map {
                ModelFixtures.variantsFolder.appendingPathComponent($0).path
            }
    }()

    static func embedAll(threads: Int) -> [[Float]] {
        let model = ModelFixtures.model
        let results = Results(count: files.count)
        DispatchQueue.concurrentPerform(iterations: threads) { stripe in
            for index in stride(from: stripe, to: files.count, by: threads) {
                let image = try! model.embedImage(atPath: files[index])
                let text = try! model.embedText("produit \(index) très bon")
                results.set(index, image.vector + text.vector + model.fuse(image: image, text: text).vector)
            }
        }
        return results.values
    }

    @Test("one thread, two threads, eight threads and a second run give the same bits", arguments: [2, 8])
    func threads(_ count: Int) {
        let single = Self.embedAll(threads: 1)
        let parallel = Self.embedAll(threads: count)
        let again = Self.embedAll(threads: 1)
        for index in single.indices {
            #expect(single[index].map(\.bitPattern) == parallel[index].map(\.bitPattern), "\(Self.files[index]) with \(count) threads")
            #expect(single[index].map(\.bitPattern) == again[index].map(\.bitPattern), "\(Self.files[index]) on a second run")
        }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [[Float]]
        init(count: Int) { storage = Array(repeating: [], count: count) }
        func set(_ index: Int, _ value: [Float]) { lock.lock(); storage[index] = value; lock.unlock() }
        var values: [[Float]] { lock.lock(); defer { lock.unlock() }; return storage }
    }
}
