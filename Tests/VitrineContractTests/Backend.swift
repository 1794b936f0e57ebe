import Foundation
import Testing
import VitrineChaos
import VitrinePostgres
import VitrineStore
import VitrineTestSupport

/// One implementation of the storage protocols (``ProductStore``, ``JobQueue``, ``ChangeFeed``)
/// under contract: how to make a fresh, empty one, and how to open another handle on the same
/// data (what another process, or another host, sees). A new engine adds itself to ``all``.
struct Backend: Sendable, CustomTestStringConvertible {
    /// A fresh storage, a way to open it again, and what removes it.
    struct Instance: Sendable {
        let storage: Storage
        let reopen: @Sendable () throws -> Storage
        let remove: @Sendable () -> Void
    }

    let name: String
    let make: @Sendable () throws -> Instance

    var testDescription: String { name }

    /// The embedded default: a SQLite file in a temporary folder.
    static let sqlite = Backend(name: "SQLite") {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("contract.sqlite").path
        return Instance(storage: try Storage.sqlite(path: path), reopen: { try Storage.sqlite(path: path) },
                        remove: { try? FileManager.default.removeItem(at: folder) })
    }

    /// PostgreSQL: a fresh database on the test process's throwaway cluster.
    static let postgres = Backend(name: "PostgreSQL") {
        let cluster = PostgresCluster.shared
        let name = try cluster.createDatabase()
        let url = try PostgresURL(cluster.url(name))
        let storage = try Storage.postgres(url: url, connections: 8)
        return Instance(storage: storage, reopen: { try Storage.postgres(url: url, connections: 8) },
                        remove: { cluster.dropDatabase(name) })
    }

    /// Every backend the contract runs against.
    static let all: [Backend] = [.sqlite, .postgres]

    /// Runs `body` on a fresh instance, removing it afterwards — on threads of its own: the
    /// storage protocols block (on SQLite, on PostgreSQL's round trips), and the cooperative pool
    /// belongs to the in-process servers of tests running meanwhile.
    func with(_ body: (Instance) async throws -> Void) async throws {
        try await onOwnThreads {
            let instance = try make()
            defer { instance.remove() }
            try await body(instance)
        }
    }
}

/// Records and uploads with made-up vectors (the contract is about storage, not the model).
enum Sample {
    static func vector(_ seed: Float) -> [Float] {
        var vector = (0..<512).map { Float(sin(Double($0) * Double(seed) + 0.3)) }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for index in vector.indices { vector[index] /= norm }
        return vector
    }

    static func record(_ id: String, name: String = "Produit", seed: Float = 1, image: Bool = false,
                       model: String = "contract@1", thumbnail: [UInt8]? = nil) -> ProductRecord {
        let text = vector(seed), picture = image ? vector(seed + 100) : nil
        let fused = picture.map { p in zip(p, text).map { ($0 + $1) / 2 } } ?? text
        return ProductRecord(productID: id, name: name, description: "d", metadata: "{}", textDigest: "t-\(name)",
                             imageDigest: image ? "i-\(id)-\(seed)" : nil, imageWidth: image ? 10 : nil,
                             imageHeight: image ? 10 : nil, model: model, fused: fused, image: picture, text: text,
                             thumbnail: thumbnail)
    }

    static let image = Data((0..<2_000).map { UInt8($0 % 251) })

    static func upload(_ id: String, name: String = "Mug", image: Data = Sample.image) -> Upload {
        Upload(fields: ProductFields(productID: id, name: name), image: image, imageDigest: "sha-\(image.count)-\(image.first ?? 0)")
    }

    /// Every change after `position`, page by page.
    static func changes(_ feed: any ChangeFeed, after position: Int64 = 0, kind: VectorKind = .fused,
                        limit: Int = 1_000) throws -> [FeedChange] {
        var all: [FeedChange] = [], at = position
        while true {
            let page = try feed.changes(after: at, kind: kind, limit: limit)
            all += page.changes
            at = page.position
            if page.changes.count < limit { return all }
        }
    }
}
