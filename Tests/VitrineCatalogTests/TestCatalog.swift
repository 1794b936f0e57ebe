import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineStore
import VitrineTestSupport

/// Temporary databases and the committed model, for catalogue tests.
enum TestCatalog {
    static let model: EmbeddingModel = {
        do throws(EmbeddingError) {
            return try EmbeddingModel.load(manifestURL: Repository.root.appendingPathComponent("models/\(ModelSpec.fileStem).json"))
        } catch {
            fatalError("cannot load the committed model: \(error)")
        }
    }()

    static var catalogCSV: String { Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path }
    static var catalogJSONL: String { Repository.fixtures.appendingPathComponent("catalog/catalog.jsonl").path }

    /// A new folder, removed by the caller.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A store in a new temporary folder.
    static func store() throws -> (SQLiteProductStore, URL) {
        let url = try folder()
        return (try SQLiteProductStore(path: url.appendingPathComponent("test.sqlite").path), url)
    }

    /// A record with a made-up vector.
    static func record(_ id: String, name: String = "Produit", seed: Float = 1, model: String = ModelSpec.id) -> ProductRecord {
        var vector = (0..<512).map { Float(sin(Double($0) * Double(seed))) }
        VectorMath.normalize(&vector)
        return ProductRecord(productID: id, name: name, description: "desc", metadata: "{\"a\": 1}",
                             textDigest: Digest.text(name: name, description: "desc", metadata: "{\"a\": 1}"),
                             imageDigest: nil, imageWidth: nil, imageHeight: nil, model: model,
                             fused: vector, image: nil, text: vector)
    }
}
