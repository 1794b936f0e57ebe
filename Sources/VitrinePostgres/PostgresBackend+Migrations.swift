import PostgresNIO
import VitrineStore

extension PostgresBackend {
    /// One versioned migration: applied once, in order, never edited once released (a change
    /// to the schema is a new migration appended to ``migrations``).
    struct Migration {
        let id: String
        let sql: [String]
    }

    /// The schema, newest last. It mirrors the SQLite store's (see README.md in VitrineStore),
    /// with PostgreSQL's types: bytea for vectors, images and thumbnails; the write order's head
    /// in the one `vitrine_feed` row, whose lock every write transaction takes first.
    static let migrations: [Migration] = [
        Migration(id: "pg1: products, jobs, originals, tombstones, change feed", sql: [
            """
            CREATE TABLE vitrine_feed (
                id integer PRIMARY KEY CHECK (id = 1),
                database_id text NOT NULL,
                head bigint NOT NULL,
                floor bigint NOT NULL
            )
            """,
            "INSERT INTO vitrine_feed (id, database_id, head, floor) VALUES (1, md5(random()::text || clock_timestamp()::text), 0, 0)",
            """
            CREATE TABLE product (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                product_id text NOT NULL UNIQUE,
                name text NOT NULL,
                description text NOT NULL DEFAULT '',
                metadata text NOT NULL DEFAULT '',
                text_digest text NOT NULL,
                image_digest text,
                image_path text,
                image_width integer,
                image_height integer,
                model text NOT NULL,
                fused bytea NOT NULL,
                image_vector bytea,
                text_vector bytea NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL,
                applied_seq bigint NOT NULL,
                change_seq bigint NOT NULL
            )
            """,
            "CREATE INDEX product_model ON product (model)",
            "CREATE INDEX product_change ON product (change_seq)",
            "CREATE INDEX product_image ON product (image_digest) WHERE image_digest IS NOT NULL",
            """
            CREATE TABLE thumbnail (
                product bigint PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
                jpeg bytea NOT NULL
            )
            """,
            """
            CREATE TABLE original (
                digest text PRIMARY KEY,
                bytes bytea NOT NULL
            )
            """,
            """
            CREATE TABLE job (
                id text PRIMARY KEY,
                seq bigint NOT NULL UNIQUE,
                product_id text NOT NULL,
                name text NOT NULL,
                description text NOT NULL DEFAULT '',
                metadata text NOT NULL DEFAULT '',
                image_digest text,
                status text NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
                attempts integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                error text,
                worker_id text,
                lease_until double precision,
                claimed_at double precision,
                available_at double precision NOT NULL,
                created_at double precision NOT NULL,
                finished_at double precision
            )
            """,
            "CREATE INDEX job_order ON job (status, seq)",
            "CREATE INDEX job_finished ON job (finished_at) WHERE finished_at IS NOT NULL",
            "CREATE INDEX job_image ON job (image_digest)",
            "CREATE INDEX job_product ON job (product_id, seq)",
            """
            CREATE TABLE tombstone (
                product_id text PRIMARY KEY,
                seq bigint NOT NULL,
                deleted_at double precision NOT NULL,
                change_seq bigint NOT NULL
            )
            """,
            "CREATE INDEX tombstone_change ON tombstone (change_seq)",
        ]),
    ]

    /// Brings the schema up to date under an advisory lock (nodes started together migrate
    /// once; the others wait, then find nothing to do), refusing — untouched — a database
    /// migrated by a newer Vitrine.
    static func migrate(_ session: Session, url: PostgresURL) throws {
        try session.query("SELECT pg_advisory_lock(7301962)")
        defer { _ = try? session.query("SELECT pg_advisory_unlock(7301962)") }
        try session.query("""
            CREATE TABLE IF NOT EXISTS vitrine_schema (
                id text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = try session.query("SELECT id FROM vitrine_schema ORDER BY applied_at, id").map { try $0.decode(String.self) }
        let known = Set(migrations.map(\.id))
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw StoreError(.incompatible, "the database \(url) was migrated by a newer Vitrine (schema \(unknown.joined(separator: ", "))); this one knows up to \"\(migrations.last?.id ?? "")\" — run a newer vitrine")
        }
        for migration in migrations where !applied.contains(migration.id) {
            try session.transaction {
                for statement in migration.sql { try session.query(PostgresQuery(unsafeSQL: statement)) }
                try session.query("INSERT INTO vitrine_schema (id) VALUES (\(migration.id))")
            }
        }
    }
}
