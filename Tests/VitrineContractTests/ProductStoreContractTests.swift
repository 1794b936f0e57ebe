import Foundation
import Testing
import VitrineStore

/// The ``ProductStore`` contract, written once, run against every backend.
@Suite("Contract: product store")
struct ProductStoreContractTests {
    @Test("upsert and read back: fields, dates kept on replace, batches, fingerprints, thumbnails follow the image",
          arguments: Backend.all)
    func upsertAndRead(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products
            try store.upsert([Sample.record("a", image: true, thumbnail: [1, 2, 3]), Sample.record("b", seed: 2)])
            let first = try #require(try store.product(id: "a"))
            #expect(first.name == "Produit" && first.image != nil && first.imageWidth == 10 && first.sequence != nil)
            #expect(try store.thumbnail(productID: "a")?.jpeg == [1, 2, 3])
            #expect(try store.count() == 2 && store.product(id: "nope") == nil)
            try await Task.sleep(for: .milliseconds(5))
            try store.upsert([Sample.record("a", name: "Renamed", seed: 3)])
            let second = try #require(try store.product(id: "a"))
            #expect(second.name == "Renamed" && second.createdAt == first.createdAt && second.updatedAt! > first.updatedAt!)
            #expect(second.image == nil)
            #expect(try store.thumbnail(productID: "a") == nil, "no image: no thumbnail")
            #expect(try store.products(ids: ["a", "b", "zz"]).keys.sorted() == ["a", "b"])
            #expect(try store.fingerprints(for: ["b", "zz"]) == ["b": Sample.record("b", seed: 2).fingerprint])
            #expect(try store.productIDs(withModelOtherThan: "contract@1").isEmpty)
            #expect(try store.productIDs(withModelOtherThan: nil) == ["a", "b"])
        }
    }

    @Test("the vectors for re-ranking are the current ones; a deleted row is absent; text falls back to fused",
          arguments: Backend.all)
    func currentVectors(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products
            try store.upsert([Sample.record("a", image: true), Sample.record("b", seed: 2)])
            var rows: [String: Int64] = [:]
            try store.forEachVector(.fused) { rows[$0.productID] = $0.rowID }
            try store.upsert([Sample.record("a", seed: 7, image: true)])
            let fused = try store.vectors(.fused, rowIDs: [rows["a"]!, rows["b"]!])
            #expect(fused[rows["a"]!]?.vector == Sample.record("a", seed: 7, image: true).fused, "the newest write")
            #expect(try store.vectors(.text, rowIDs: [rows["b"]!])[rows["b"]!]?.vector == Sample.vector(2))
            #expect(try store.vectors(.image, rowIDs: [rows["b"]!]).isEmpty, "b has no image vector")
            #expect(try store.delete(id: "b"))
            #expect(try store.vectors(.fused, rowIDs: [rows["b"]!]).isEmpty, "deleted: absent")
        }
    }

    @Test("a delete leaves a tombstone in the write order; a second delete finds nothing; a newer write recreates",
          arguments: Backend.all)
    func deletes(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products
            try store.upsert([Sample.record("a")])
            #expect(try store.delete(id: "a"))
            #expect(try !store.delete(id: "a"))
            #expect(try store.product(id: "a") == nil && store.tombstone(productID: "a") != nil)
            try store.upsert([Sample.record("a", seed: 4)])
            #expect(try store.product(id: "a") != nil && store.tombstone(productID: "a") == nil)
        }
    }

    @Test("replace writes only a product still at the write it was read as", arguments: Backend.all)
    func conditionalReplace(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products
            try store.upsert([Sample.record("a"), Sample.record("b")])
            let read = try store.products(ids: ["a", "b"])
            try store.upsert([Sample.record("b", name: "Newer")])
            var fresh = read.values.sorted { $0.productID < $1.productID }.map { record -> ProductRecord in
                var copy = record
                copy.model = "contract@2"
                return copy
            }
            fresh[0].fused = Sample.vector(9)
            #expect(try store.replace(fresh) == [true, false])
            #expect(try store.product(id: "a")?.model == "contract@2" && store.product(id: "a")?.sequence == read["a"]?.sequence)
            #expect(try store.product(id: "b")?.name == "Newer", "the newer write stands")
        }
    }
}
