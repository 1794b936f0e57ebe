import Foundation
import Testing
import VitrineCatalog
import VitrineEmbedding
import VitrineImaging
import VitrineStore
import VitrineTestSupport

/// Image search recognises copies of catalogue photos: the sample catalogue indexed into SQLite
/// (thumbnails and all), then searched with copies made from its photos. On threads of its own:
/// ~20 s of computing in a debug build would otherwise hold a thread of the cooperative pool
/// that the in-process servers of other suites need.
@Suite("Copy search", .onOwnThreads)
struct CopySearchTests {
    /// Catalogue photos without a copy of their own in the catalogue (p02, p04 and p07 have one).
    static let photos = ["p01", "p03", "p06", "p09"]

    /// The sample catalogue indexed into a new store, and an index of its vectors of `kind`.
    static func catalogue(_ kind: VectorKind) throws -> (SQLiteProductStore, SearchIndex, URL) {
        let (store, folder) = try TestCatalog.store()
        _ = try CatalogIndexer(store: store, model: TestCatalog.model).index(catalogPath: TestCatalog.catalogCSV)
        let index = SearchIndex(dimension: ModelSpec.dimension)
        try store.forEachVector(kind) { index.upsert(productID: $0.productID, rowID: $0.rowID, vector: $0.vector) }
        return (store, index, folder)
    }

    @Test("crops, windows, rotations, banners, pages and collages of catalogue photos find their product first")
    func copies() throws {
        let (store, index, folder) = try Self.catalogue(.image)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let pipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget)
        func photo(_ id: String) throws -> PixelBuffer {
            try pipeline.pixels(atPath: Repository.fixtures.appendingPathComponent("catalog/images/\(id).jpg").path)
        }
        var found = 0, foundByWholes = 0, total = 0
        for (position, id) in Self.photos.enumerated() {
            let original = try photo(id), other = try photo(Self.photos[(position + 1) % Self.photos.count])
            let copies: [(String, PixelBuffer, Int)] = [
                ("crop20", PhotoCopies.crop(original, 0.2, 0.2, 0.8, 0.8), 1),
                ("window60", PhotoCopies.crop(original, 0.1, 0.3, 0.7, 0.9), 1),
                ("rotate10", PhotoCopies.rotated(original, degrees: 10), 1),
                ("banner", PhotoCopies.banner(original), 1),
                ("canvas", PhotoCopies.canvas(original), 1),
                ("collage", PhotoCopies.collage(original, other), 2),
            ]
            for (name, copy, within) in copies {
                let bytes = try Thumbnail.encode(copy, quality: 85)
                let query = TestCatalog.model.embedImage(try pipeline.pixels(bytes)).vector
                let hits = try search.search(imageBytes: bytes, in: index, kind: .image, k: within)
                let wholes = try search.search(query, in: index, kind: .image, k: within, excluding: nil)
                total += 1
                if hits.contains(where: { $0.productID == id }) { found += 1 } else {
                    Issue.record("\(name) of \(id): found \(hits.map(\.productID))")
                }
                if wholes.contains(where: { $0.productID == id }) { foundByWholes += 1 }
                // A copy's score is never below the cosine of the wholes.
                for hit in hits {
                    let stored = try #require(try store.vectors(.image, rowIDs: [hit.rowID])[hit.rowID])
                    #expect(hit.score >= VectorMath.dot(query, stored.vector))
                }
            }
        }
        #expect(found == total)
        #expect(foundByWholes < total, "the wholes alone find every copy: the copies are too easy to show anything")
    }

    @Test("an image query in fused or text mode compares the wholes only, as before")
    func otherModes() throws {
        let (store, index, folder) = try Self.catalogue(.fused)
        defer { try? FileManager.default.removeItem(at: folder) }
        let search = CatalogSearch(store: store, model: TestCatalog.model)
        let bytes = try Data(contentsOf: Repository.fixtures.appendingPathComponent("catalog/images/p02.jpg"))
        let hits = try search.search(imageBytes: bytes, in: index, kind: .fused, k: 3)
        let pixels = try ImagePipeline(targetSize: ModelSpec.decodeTarget).pixels(bytes)
        let plain = try search.search(TestCatalog.model.embedImage(pixels).vector, in: index, kind: .fused, k: 3, excluding: nil)
        #expect(hits == plain && hits.first?.productID == "p02")
    }
}
