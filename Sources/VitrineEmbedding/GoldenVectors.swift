import Foundation
import VitrineImaging

/// Golden vectors: the fixture products' expected embeddings, one JSON file a
/// product in `fixtures/expected/`, so any unintended change to the model
/// (features, weights, decoding) fails a test loudly.
public enum GoldenVectors {
    /// One fixture product as listed in `products.jsonl`.
    public struct Product: Codable, Sendable {
        /// The product's id.
        public var product_id: String
        /// Its name.
        public var name: String
        /// Its description.
        public var description: String
        /// Its metadata, kept as given.
        public var metadata: String
        /// Image path relative to the list's folder.
        public var image: String?
        /// The dominant colour (ground truth for tests; not product text).
        public var colour: String?

        /// The text the model embeds.
        public var text: ProductText { ProductText(name: name, description: description, metadata: metadata) }
    }

    /// One golden file.
    public struct Entry: Codable, Sendable {
        /// The product's id.
        public var product_id: String
        /// The model that made the vectors.
        public var model: String
        /// Expected image vector.
        public var image: [Float]
        /// Expected text vector.
        public var text: [Float]
        /// Expected fused vector (default fusion weights).
        public var fused: [Float]
    }

    /// Reads a JSON Lines product list.
    public static func readProducts(_ url: URL) throws -> [Product] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map {
            try JSONDecoder().decode(Product.self, from: Data($0.utf8))
        }
    }

    /// Embeds every product of the list (with default fusion weights) as golden entries.
    public static func compute(products url: URL, model: EmbeddingModel,
                               images: ImagePipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)) throws -> [Entry] {
        var model = model
        model.fusion = .default
        let folder = url.deletingLastPathComponent()
        return try readProducts(url).map { product in
            let imagePath = folder.appendingPathComponent(product.image ?? "").path
            let image = try images.pixels(atPath: imagePath)
            let vectors = try model.embedProduct(text: product.text, image: image)
            return Entry(product_id: product.product_id, model: model.id, image: vectors.image?.vector ?? [],
                         text: vectors.text.vector, fused: vectors.fused.vector)
        }
    }

    /// Writes one `ID.json` per product into `folder`; returns how many.
    @discardableResult
    public static func write(products url: URL, to folder: URL, model: EmbeddingModel) throws -> Int {
        let entries = try compute(products: url, model: model)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for entry in entries {
            func list(_ values: [Float]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
            let text = """
                {
                  "product_id": "\(entry.product_id)",
                  "model": "\(entry.model)",
                  "image": \(list(entry.image)),
                  "text": \(list(entry.text)),
                  "fused": \(list(entry.fused))
                }

                """
            try Data(text.utf8).write(to: folder.appendingPathComponent("\(entry.product_id).json"), options: .atomic)
        }
        return entries.count
    }

    /// Reads every golden file in `folder`, sorted by product id.
    public static func read(_ folder: URL) throws -> [Entry] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted().map {
            try JSONDecoder().decode(Entry.self, from: Data(contentsOf: folder.appendingPathComponent($0)))
        }
    }
}
