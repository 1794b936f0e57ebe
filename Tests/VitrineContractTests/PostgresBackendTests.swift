import Foundation
import Testing
import VitrineChaos
import VitrinePostgres
import VitrineStore
import VitrineTestSupport

/// What only the PostgreSQL backend has: its URL, migrations shared by nodes started together,
/// and the refusal of a schema newer than it knows.
@Suite("PostgreSQL backend")
struct PostgresBackendTests {
    @Test("a database URL is parsed once, its password never shown; what is missing is named")
    func urls() throws {
        let url = try PostgresURL("postgres://vitrine:s%40cret@db.example:6543/catalogue")
        #expect(url.user == "vitrine" && url.password == "s@cret" && url.host == "db.example" && url.port == 6543)
        #expect(url.database == "catalogue" && url.description == "postgres://vitrine@db.example:6543/catalogue")
        #expect(try PostgresURL("postgresql://u@h/d").port == 5432)
        for (text, reason) in [("postgres://h/d", "names no user"), ("postgres://u@h", "names no database"),
                               ("postgres://u:pw@h/", "names no database")] {
            #expect { try PostgresURL(text) } throws: { error in
                let message = (error as? StoreError)?.message ?? ""
                return message.contains(reason) && !message.contains("pw@")
            }
        }
    }

    @Test("nodes started together migrate once (advisory lock); a newer schema is refused, untouched")
    func migrations() async throws {
        try await onOwnThreads { try await self.migrationsOnce() }
    }

    @Test("pg2 fills the full-text index with a pg1 database's products, folded")
    func fullTextMigration() async throws {
        try await onOwnThreads {
            let cluster = PostgresCluster.shared
            let name = try cluster.createDatabase()
            defer { cluster.dropDatabase(name) }
            let url = try PostgresURL(cluster.url(name))
            var record = Sample.record("c1", name: "Crème hydratante")
            record.metadata = "{\"sku\": \"CR-9\"}"
            try Storage.postgres(url: url, connections: 1).products.upsert([record])
            // Back to pg1: no column, no function, no record of pg2.
            try cluster.sql("""
                ALTER TABLE product DROP COLUMN lexical;
                DROP FUNCTION vitrine_write_products(text[], text[], text[], text[], text[], text[], text[], int8[], int8[], text[],
                    bytea[], bytea[], bytea[], int8[], bytea[], float8, text[], text[], text[]);
                DELETE FROM vitrine_schema WHERE id LIKE 'pg2:%';
                """, database: name)
            let store = try Storage.postgres(url: url, connections: 1).products
            #expect(try store.lexicalMatches(LexicalQuery("CREME"), among: nil, limit: 3).map(\.productID) == ["c1"])
            #expect(try store.lexicalMatches(LexicalQuery("cr-9"), among: nil, limit: 3).map(\.productID) == ["c1"])
        }
    }

    private func migrationsOnce() async throws {
        let cluster = PostgresCluster.shared
        let name = try cluster.createDatabase()
        defer { cluster.dropDatabase(name) }
        let url = try PostgresURL(cluster.url(name))
        // Eight "nodes" open the same empty database at once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { try await onOwnThread { _ = try Storage.postgres(url: url, connections: 2) } }
            }
            try await group.waitForAll()
        }
        let applied = try cluster.sql("SELECT COUNT(*), COUNT(DISTINCT id) FROM vitrine_schema", database: name)
        #expect(applied.trimmingCharacters(in: .whitespacesAndNewlines) == "2|2", "each migration applied once: \(applied)")
        try cluster.sql("INSERT INTO vitrine_schema (id) VALUES ('pg99: from the future')", database: name)
        #expect { try Storage.postgres(url: url) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .incompatible && error.message.contains("newer Vitrine") && error.message.contains("pg99: from the future")
        }
    }
}
