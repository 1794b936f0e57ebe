import Foundation
import Testing
import VitrineEmbedding
import VitrineImaging
import VitrineTestSupport

/// The committed model and the product fixtures, loaded once for all tests.
enum ModelFixtures {
    static var repository: URL { Repository.root }

    static var manifestURL: URL { repository.appendingPathComponent("models/\(ModelSpec.fileStem).json") }
    static var productsURL: URL { repository.appendingPathComponent("fixtures/products/products.jsonl") }
    static var variantsFolder: URL { repository.appendingPathComponent("fixtures/products/variants") }
    static var goldenFolder: URL { repository.appendingPathComponent("fixtures/expected") }

    static let model: EmbeddingModel = {
        do throws(EmbeddingError) {
            return try EmbeddingModel.load(manifestURL: manifestURL)
        } catch {
            fatalError("cannot load the committed model: \(error)")
        }
    }()

    static let products: [GoldenVectors.Product] = {
        do { return try GoldenVectors.readProducts(productsURL) } catch { fatalError("cannot read products: \(error)") }
    }()

    /// Image vectors of the catalogue photos, by product id.
    static let imageVectors: [String: Embedding] = {
        var vectors: [String: Embedding] = [:]
        for product in products {
            let path = productsURL.deletingLastPathComponent().appendingPathComponent(product.image!).path
            vectors[product.product_id] = try! model.embedImage(atPath: path)
        }
        return vectors
    }()

    /// The product whose vector is most similar to `query`, and the ranking.
    static func ranking(_ query: Embedding, among vectors: [String: Embedding]) -> [(id: String, score: Float)] {
        vectors.map { ($0.key, query.similarity(to: $0.value)) }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }
}

extension EmbeddingModel {
    /// The image vector of a file, decoded as every surface decodes it (the default image pipeline).
    func embedImage(atPath path: String) throws -> Embedding {
        embedImage(try ImagePipeline(targetSize: ModelSpec.decodeTarget).pixels(atPath: path))
    }
}
