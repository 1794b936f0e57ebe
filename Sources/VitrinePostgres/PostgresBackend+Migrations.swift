import PostgresNIO
import VitrineStore

extension PostgresBackend {
    /// One versioned migration: applied once, in order, never edited once released (a change
    /// to the schema is a new migration appended to ``migrations``).
    struct Migration: Sendable {
        let id: String
        let sql: [String]
        /// Work done in Swift after the statements, in the same transaction.
        var after: (@Sendable (Session) throws -> Void)? = nil
    }

    /// Sets `lexical` of every product from its folded text (migration pg2), a page at a time.
    static func fillLexical(_ session: Session) throws {
        var after: Int64 = 0
        while true {
            let rows = try session.query("SELECT id, name, description, metadata FROM product WHERE id > \(after) ORDER BY id LIMIT 1000")
            guard !rows.isEmpty else { return }
            var ids: [Int64] = [], names: [String] = [], descriptions: [String] = [], metadata: [String] = []
            for row in rows {
                let (id, name, description, meta) = try row.decode((Int64, String, String, String).self)
                ids.append(id)
                names.append(LexicalQuery.document(name))
                descriptions.append(LexicalQuery.document(description))
                metadata.append(LexicalQuery.document(meta))
                after = id
            }
            try session.query("""
                UPDATE product SET lexical = setweight(to_tsvector('simple', u.n), 'A') || to_tsvector('simple', u.d)
                    || to_tsvector('simple', u.m)
                FROM unnest(\(ids)::int8[], \(names)::text[], \(descriptions)::text[], \(metadata)::text[]) AS u(id, n, d, m)
                WHERE product.id = u.id
                """)
        }
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
            // Vectors are float32 bytes: compressing them (PostgreSQL's default for rows over 2 kB)
            // costs CPU and saves nothing. Rows stay whole in their page up to 8 kB (a product with
            // an image carries three 2 kB vectors), and a larger one is moved out uncompressed.
            "ALTER TABLE product SET (toast_tuple_target = 8160)",
            "ALTER TABLE product ALTER COLUMN fused SET STORAGE EXTERNAL, ALTER COLUMN image_vector SET STORAGE EXTERNAL, ALTER COLUMN text_vector SET STORAGE EXTERNAL",
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
            // JPEG and PNG bytes are compressed already.
            "ALTER TABLE original ALTER COLUMN bytes SET STORAGE EXTERNAL",
            "ALTER TABLE thumbnail ALTER COLUMN jpeg SET STORAGE EXTERNAL",
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
            // A batch of product writes in one statement (one round trip, and the write order's lock
            // held no longer than the statement): each record takes the next change number (and its
            // write number when given none, 0), a product given twice ends as its last record, its
            // thumbnail follows it (an empty one: none), an older tombstone goes, and an original
            // image no product or job uses any more is removed. Returns the new head.
            """
            CREATE FUNCTION vitrine_write_products(
                p_ids text[], p_names text[], p_descriptions text[], p_metadata text[], p_text_digests text[],
                p_image_digests text[], p_image_paths text[], p_widths int8[], p_heights int8[], p_models text[],
                p_fused bytea[], p_images bytea[], p_texts bytea[], p_sequences int8[], p_thumbnails bytea[],
                p_now float8) RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                v_head bigint;
                v_released text[];
            BEGIN
                SELECT head INTO v_head FROM vitrine_feed WHERE id = 1 FOR UPDATE;
                WITH input AS (
                    SELECT u.*, v_head + u.ord AS change,
                           CASE WHEN u.seq > 0 THEN u.seq ELSE v_head + u.ord END AS applied
                    FROM unnest(p_ids, p_names, p_descriptions, p_metadata, p_text_digests, p_image_digests,
                                p_image_paths, p_widths, p_heights, p_models, p_fused, p_images, p_texts,
                                p_sequences, p_thumbnails) WITH ORDINALITY
                         AS u(pid, name, descr, meta, td, idig, ipath, w, h, model, fused, iv, tv, seq, thumb, ord)
                ), latest AS (
                    SELECT DISTINCT ON (pid) * FROM input ORDER BY pid, ord DESC
                ), previous AS (
                    -- One index lookup per product (a join would be planned from unnest's guess of 100
                    -- rows, and scan the whole table).
                    SELECT l.pid, (SELECT p.image_digest FROM product p WHERE p.product_id = l.pid) AS image_digest,
                           NULLIF(l.idig, '') AS new_digest
                    FROM latest l
                ), written AS (
                    INSERT INTO product (product_id, name, description, metadata, text_digest, image_digest, image_path,
                                         image_width, image_height, model, fused, image_vector, text_vector,
                                         created_at, updated_at, applied_seq, change_seq)
                    SELECT pid, name, descr, meta, td, NULLIF(idig, ''), NULLIF(ipath, ''), NULLIF(w, -1), NULLIF(h, -1),
                           model, fused, NULLIF(iv, '\\x'::bytea), tv, p_now, p_now, applied, change
                    FROM latest
                    ON CONFLICT (product_id) DO UPDATE SET
                        name = excluded.name, description = excluded.description, metadata = excluded.metadata,
                        text_digest = excluded.text_digest, image_digest = excluded.image_digest,
                        image_path = excluded.image_path, image_width = excluded.image_width,
                        image_height = excluded.image_height, model = excluded.model, fused = excluded.fused,
                        image_vector = excluded.image_vector, text_vector = excluded.text_vector,
                        updated_at = excluded.updated_at, applied_seq = excluded.applied_seq,
                        change_seq = excluded.change_seq
                    RETURNING id, product_id
                ), thumbnails AS (
                    INSERT INTO thumbnail (product, jpeg)
                    SELECT w.id, l.thumb FROM written w JOIN latest l ON l.pid = w.product_id WHERE length(l.thumb) > 0
                    ON CONFLICT (product) DO UPDATE SET jpeg = excluded.jpeg
                    RETURNING 1
                ), no_thumbnails AS (
                    DELETE FROM thumbnail t WHERE t.product = ANY(ARRAY(
                        SELECT w.id FROM written w JOIN latest l ON l.pid = w.product_id WHERE length(l.thumb) = 0))
                    RETURNING 1
                ), tombstones AS (
                    DELETE FROM tombstone t WHERE t.product_id = ANY(ARRAY(SELECT pid FROM latest))
                        AND t.seq < (SELECT l.applied FROM latest l WHERE l.pid = t.product_id)
                    RETURNING 1
                )
                -- The data-modifying parts run to completion whether or not this reads them.
                SELECT array_agg(DISTINCT image_digest) INTO v_released FROM previous
                WHERE image_digest IS NOT NULL AND image_digest IS DISTINCT FROM new_digest;
                IF v_released IS NOT NULL THEN
                    DELETE FROM original o WHERE o.digest = ANY(v_released)
                        AND NOT EXISTS (SELECT 1 FROM product p WHERE p.image_digest = o.digest AND p.image_path IS NULL)
                        AND NOT EXISTS (SELECT 1 FROM job j WHERE j.image_digest = o.digest);
                END IF;
                v_head := v_head + cardinality(p_ids);
                UPDATE vitrine_feed SET head = v_head WHERE id = 1;
                PERFORM pg_notify('vitrine_feed', '');
                RETURN v_head;
            END
            $$
            """,
        ]),
        // Full-text search over the folded text of name, description and metadata (folded in Swift as
        // the text embedding folds it; the 'simple' configuration only splits and lower-cases), the
        // name weighted 'A'. The write function gains the folded texts; existing rows are filled in by
        // `fillLexical` after these statements, in the same transaction.
        Migration(id: "pg2: full-text index", sql: [
            "ALTER TABLE product ADD COLUMN lexical tsvector NOT NULL DEFAULT ''::tsvector",
            "CREATE INDEX product_lexical ON product USING gin (lexical)",
            """
            CREATE FUNCTION vitrine_write_products(
                p_ids text[], p_names text[], p_descriptions text[], p_metadata text[], p_text_digests text[],
                p_image_digests text[], p_image_paths text[], p_widths int8[], p_heights int8[], p_models text[],
                p_fused bytea[], p_images bytea[], p_texts bytea[], p_sequences int8[], p_thumbnails bytea[],
                p_now float8, p_lexical_names text[], p_lexical_descriptions text[], p_lexical_metadata text[]) RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                v_head bigint;
                v_released text[];
            BEGIN
                SELECT head INTO v_head FROM vitrine_feed WHERE id = 1 FOR UPDATE;
                WITH input AS (
                    SELECT u.*, v_head + u.ord AS change,
                           CASE WHEN u.seq > 0 THEN u.seq ELSE v_head + u.ord END AS applied
                    FROM unnest(p_ids, p_names, p_descriptions, p_metadata, p_text_digests, p_image_digests,
                                p_image_paths, p_widths, p_heights, p_models, p_fused, p_images, p_texts,
                                p_sequences, p_thumbnails, p_lexical_names, p_lexical_descriptions, p_lexical_metadata) WITH ORDINALITY
                         AS u(pid, name, descr, meta, td, idig, ipath, w, h, model, fused, iv, tv, seq, thumb, lname, ldescr, lmeta, ord)
                ), latest AS (
                    SELECT DISTINCT ON (pid) * FROM input ORDER BY pid, ord DESC
                ), previous AS (
                    -- One index lookup per product (a join would be planned from unnest's guess of 100
                    -- rows, and scan the whole table).
                    SELECT l.pid, (SELECT p.image_digest FROM product p WHERE p.product_id = l.pid) AS image_digest,
                           NULLIF(l.idig, '') AS new_digest
                    FROM latest l
                ), written AS (
                    INSERT INTO product (product_id, name, description, metadata, text_digest, image_digest, image_path,
                                         image_width, image_height, model, fused, image_vector, text_vector,
                                         created_at, updated_at, applied_seq, change_seq, lexical)
                    SELECT pid, name, descr, meta, td, NULLIF(idig, ''), NULLIF(ipath, ''), NULLIF(w, -1), NULLIF(h, -1),
                           model, fused, NULLIF(iv, '\\x'::bytea), tv, p_now, p_now, applied, change,
                           setweight(to_tsvector('simple', lname), 'A') || to_tsvector('simple', ldescr) || to_tsvector('simple', lmeta)
                    FROM latest
                    ON CONFLICT (product_id) DO UPDATE SET
                        name = excluded.name, description = excluded.description, metadata = excluded.metadata,
                        text_digest = excluded.text_digest, image_digest = excluded.image_digest,
                        image_path = excluded.image_path, image_width = excluded.image_width,
                        image_height = excluded.image_height, model = excluded.model, fused = excluded.fused,
                        image_vector = excluded.image_vector, text_vector = excluded.text_vector,
                        updated_at = excluded.updated_at, applied_seq = excluded.applied_seq,
                        change_seq = excluded.change_seq, lexical = excluded.lexical
                    RETURNING id, product_id
                ), thumbnails AS (
                    INSERT INTO thumbnail (product, jpeg)
                    SELECT w.id, l.thumb FROM written w JOIN latest l ON l.pid = w.product_id WHERE length(l.thumb) > 0
                    ON CONFLICT (product) DO UPDATE SET jpeg = excluded.jpeg
                    RETURNING 1
                ), no_thumbnails AS (
                    DELETE FROM thumbnail t WHERE t.product = ANY(ARRAY(
                        SELECT w.id FROM written w JOIN latest l ON l.pid = w.product_id WHERE length(l.thumb) = 0))
                    RETURNING 1
                ), tombstones AS (
                    DELETE FROM tombstone t WHERE t.product_id = ANY(ARRAY(SELECT pid FROM latest))
                        AND t.seq < (SELECT l.applied FROM latest l WHERE l.pid = t.product_id)
                    RETURNING 1
                )
                -- The data-modifying parts run to completion whether or not this reads them.
                SELECT array_agg(DISTINCT image_digest) INTO v_released FROM previous
                WHERE image_digest IS NOT NULL AND image_digest IS DISTINCT FROM new_digest;
                IF v_released IS NOT NULL THEN
                    DELETE FROM original o WHERE o.digest = ANY(v_released)
                        AND NOT EXISTS (SELECT 1 FROM product p WHERE p.image_digest = o.digest AND p.image_path IS NULL)
                        AND NOT EXISTS (SELECT 1 FROM job j WHERE j.image_digest = o.digest);
                END IF;
                v_head := v_head + cardinality(p_ids);
                UPDATE vitrine_feed SET head = v_head WHERE id = 1;
                PERFORM pg_notify('vitrine_feed', '');
                RETURN v_head;
            END
            $$
            """,
        ], after: fillLexical),
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
                try migration.after?(session)
                try session.query("INSERT INTO vitrine_schema (id) VALUES (\(migration.id))")
            }
        }
    }
}
