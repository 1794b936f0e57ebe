import Foundation
import Testing
import VitrineEmbedding

/// The golden regression test: every fixture product's image, text and fused
/// vectors must stay within 1e-5 of fixtures/expected/. A deliberate model
/// change bumps ModelSpec.version and regenerates them with
/// `swift run vitrine model goldens`.
@Suite("Golden vectors")
struct GoldenTests {
    static let tolerance: Float = 1e-5

    @Test("every product's vectors match the goldens within 1e-5")
    func goldens() throws {
        let expected = try GoldenVectors.read(ModelFixtures.goldenFolder)
        let actual = try GoldenVectors.compute(products: ModelFixtures.productsURL, model: ModelFixtures.model)
        try #require(expected.count == ModelFixtures.products.count, "one golden file per fixture product")
        let byID = Dictionary(uniqueKeysWithValues: actual.map { ($0.product_id, $0) })
        for golden in expected {
            let now = try #require(byID[golden.product_id], "no product \(golden.product_id) in products.jsonl")
            #expect(now.model == golden.model, "\(golden.product_id): model \(now.model), golden \(golden.model)")
            for (kind, a, b) in [("image", now.image, golden.image), ("text", now.text, golden.text), ("fused", now.fused, golden.fused)] {
                try #require(a.count == b.count, "fixtures/expected/\(golden.product_id).json \(kind): \(a.count) values, golden \(b.count)")
                var worst: Float = 0, worstIndex = 0
                for index in a.indices where abs(a[index] - b[index]) > worst {
                    worst = abs(a[index] - b[index])
                    worstIndex = index
                }
                #expect(worst <= Self.tolerance,
                        "fixtures/expected/\(golden.product_id).json: \(kind) vector drifted, largest difference \(worst) at [\(worstIndex)] (\(a[worstIndex]) vs golden \(b[worstIndex]))")
            }
        }
    }
}
