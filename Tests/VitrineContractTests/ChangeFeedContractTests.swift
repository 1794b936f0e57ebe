import Foundation
import Testing
import VitrineStore

/// The ``ChangeFeed`` contract: what a search index in any process relies on.
@Suite("Contract: change feed")
struct ChangeFeedContractTests {
    @Test("every write is a change at a larger position; a product appears once, as it now is; a delete as no entry",
          arguments: Backend.all)
    func writesAndDeletes(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products, feed = instance.storage.feed
            #expect(try feed.position() == 0 && Sample.changes(feed).isEmpty)
            try store.upsert([Sample.record("a"), Sample.record("b", seed: 2)])
            try store.upsert([Sample.record("a", seed: 5)])
            #expect(try store.delete(id: "b"))
            let changes = try Sample.changes(feed)
            #expect(changes.map(\.productID) == ["a", "b"].reversed() || changes.map(\.productID).sorted() == ["a", "b"])
            #expect(zip(changes, changes.dropFirst()).allSatisfy { $0.position < $1.position })
            let a = try #require(changes.first { $0.productID == "a" }), b = try #require(changes.first { $0.productID == "b" })
            #expect(a.entry?.vector == Sample.vector(5) && a.entry?.model == "contract@1", "the newest state")
            #expect(b.entry == nil, "deleted")
            #expect(b.position > a.position, "the delete came last")
            #expect(try feed.position() >= b.position)
            // Only what is new after a position.
            let after = try Sample.changes(feed, after: a.position)
            #expect(after.map(\.productID) == ["b"])
        }
    }

    @Test("pages: ordered, bounded, continuing from the last position, nothing missed or repeated", arguments: Backend.all)
    func paging(_ backend: Backend) async throws {
        try await backend.with { instance in
            let store = instance.storage.products, feed = instance.storage.feed
            for batch in 0..<5 { try store.upsert((0..<5).map { Sample.record("p\(batch * 5 + $0)", seed: Float(batch * 5 + $0)) }) }
            var seen: [String] = [], position: Int64 = 0, pages = 0
            while true {
                let page = try feed.changes(after: position, kind: .fused, limit: 10)
                #expect(page.changes.count <= 10 && !page.startsOver)
                #expect(page.changes.allSatisfy { $0.position > position })
                seen += page.changes.map(\.productID)
                position = page.position
                pages += 1
                if page.changes.count < 10 { break }
            }
            #expect(pages == 3 && seen.count == 25 && Set(seen).count == 25)
        }
    }

    @Test("the page's kind: an image page has no entry for a product without an image", arguments: Backend.all)
    func kinds(_ backend: Backend) async throws {
        try await backend.with { instance in
            try instance.storage.products.upsert([Sample.record("photo", image: true), Sample.record("words", seed: 2)])
            let images = try Sample.changes(instance.storage.feed, kind: .image)
            #expect(images.first { $0.productID == "photo" }?.entry?.vector == Sample.record("photo", image: true).image)
            #expect(images.first { $0.productID == "words" }?.entry == nil)
            let texts = try Sample.changes(instance.storage.feed, kind: .text)
            #expect(texts.first { $0.productID == "words" }?.entry?.vector == Sample.vector(2))
        }
    }

    @Test("a job completed after later writes, and a re-embedding, still come after a reader's position", arguments: Backend.all)
    func lateWrites(_ backend: Backend) async throws {
        try await backend.with { instance in
            let storage = instance.storage
            _ = try storage.jobs.enqueue([Sample.upload("job")], maxAttempts: 3)
            let claimed = try #require(try storage.jobs.claim(workerID: "w", lease: 30))
            try storage.products.upsert([Sample.record("other")])
            let reader = try storage.feed.position()
            #expect(try storage.jobs.complete(claimed.claim, product: Sample.record("job", seed: 3)) == .applied)
            #expect(try Sample.changes(storage.feed, after: reader).map(\.productID) == ["job"])
            let read = try storage.products.products(ids: ["other"])
            let after = try storage.feed.position()
            var fresh = try #require(read["other"])
            fresh.model = "contract@2"
            #expect(try storage.products.replace([fresh]) == [true])
            let changed = try Sample.changes(storage.feed, after: after)
            #expect(changed.map(\.productID) == ["other"] && changed.first?.entry?.model == "contract@2")
        }
    }

    @Test("a reader older than the purged deletions is told to start over, from the current products and their position",
          arguments: Backend.all)
    func startsOver(_ backend: Backend) async throws {
        try await backend.with { instance in
            let storage = instance.storage
            try storage.products.upsert([Sample.record("a"), Sample.record("b")])
            let reader = try storage.feed.position()
            #expect(try storage.products.delete(id: "a"))
            #expect(try storage.jobs.purge(finishedBefore: Date().addingTimeInterval(3_600)).tombstones == 1)
            #expect(try storage.feed.changes(after: reader, kind: .fused, limit: 10).startsOver)
            #expect(try storage.feed.changes(after: 0, kind: .fused, limit: 10).startsOver, "0 is older too")
            var current: [String] = []
            let position = try storage.feed.currentProducts(.fused) { current.append($0.productID) }
            let head = try storage.feed.position()
            #expect(current == ["b"] && position == head)
            let next = try storage.feed.changes(after: position, kind: .fused, limit: 10)
            #expect(!next.startsOver && next.changes.isEmpty)
            try storage.products.upsert([Sample.record("c")])
            #expect(try storage.feed.changes(after: position, kind: .fused, limit: 10).changes.map(\.productID) == ["c"])
        }
    }

    @Test("another handle (another process) sees the same feed; each store has its own identity", arguments: Backend.all)
    func otherHandles(_ backend: Backend) async throws {
        try await backend.with { instance in
            let other = try instance.reopen()
            try other.products.upsert([Sample.record("elsewhere")])
            #expect(try Sample.changes(instance.storage.feed).map(\.productID) == ["elsewhere"])
            #expect(try other.feed.identity() == instance.storage.feed.identity())
            let mine = try instance.storage.feed.identity()
            try await backend.with { second in
                let theirs = try second.storage.feed.identity()
                #expect(theirs != mine)
            }
        }
    }

    @Test("a reader following the feed while two handles write and delete at once ends with exactly the store's products",
          arguments: Backend.all)
    func concurrentWriters(_ backend: Backend) async throws {
        try await backend.with { instance in
            let writers = [try instance.reopen(), try instance.reopen()]
            let feed = instance.storage.feed
            var held: [String: [Float]] = [:], position: Int64 = 0
            func follow() throws {
                while true {
                    let page = try feed.changes(after: position, kind: .fused, limit: 50)
                    #expect(!page.startsOver)
                    for change in page.changes { held[change.productID] = change.entry?.vector }
                    position = page.position
                    if page.changes.count < 50 { return }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (number, writer) in writers.enumerated() {
                    group.addTask {
                        for round in 0..<40 {
                            try writer.products.upsert((0..<5).map {
                                Sample.record("w\(number)-\(round)-\($0)", seed: Float(number * 1_000 + round * 5 + $0))
                            })
                            if round % 4 == 3 { _ = try writer.products.delete(id: "w\(number)-\(round - 1)-0") }
                        }
                    }
                }
                for _ in 0..<20 {
                    try follow()
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await group.waitForAll()
            }
            try follow()
            var stored: [String: [Float]] = [:]
            try instance.storage.products.forEachVector(.fused) { stored[$0.productID] = $0.vector }
            #expect(stored.count == 2 * (200 - 10))
            #expect(held == stored, "the reader holds exactly what is stored")
        }
    }
}
