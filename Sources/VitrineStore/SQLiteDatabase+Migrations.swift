import GRDB

extension SQLiteDatabase {
    /// Versioned migrations. A released migration is never edited: a change
    /// to the schema is a new migration appended here.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: products") { db in
            try db.execute(sql: """
                CREATE TABLE product (
                    id INTEGER PRIMARY KEY,
                    product_id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    metadata TEXT NOT NULL DEFAULT '',
                    text_digest TEXT NOT NULL,
                    image_digest TEXT,
                    image_path TEXT,
                    image_width INTEGER,
                    image_height INTEGER,
                    model TEXT NOT NULL,
                    fused BLOB NOT NULL,
                    image_vector BLOB,
                    text_vector BLOB NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX product_model ON product(model);
                """)
        }
        migrator.registerMigration("v2: jobs and write order") { db in
            try db.execute(sql: """
                -- Every write gets the next number; a job applies only if it is newer than the
                -- product's last write, so a slow or resurrected worker never overwrites newer data.
                CREATE TABLE write_sequence (value INTEGER NOT NULL);
                INSERT INTO write_sequence (value) VALUES (0);
                ALTER TABLE product ADD COLUMN applied_seq INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE upload (
                    id INTEGER PRIMARY KEY,
                    bytes BLOB NOT NULL,
                    digest TEXT NOT NULL
                );
                CREATE TABLE job (
                    id TEXT PRIMARY KEY,
                    seq INTEGER NOT NULL UNIQUE,
                    product_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    metadata TEXT NOT NULL DEFAULT '',
                    upload_id INTEGER REFERENCES upload(id) ON DELETE SET NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    error TEXT,
                    worker_id TEXT,
                    lease_until DOUBLE,
                    available_at DOUBLE NOT NULL,
                    created_at DOUBLE NOT NULL,
                    finished_at DOUBLE
                );
                CREATE INDEX job_ready ON job(status, available_at);
                CREATE INDEX job_finished ON job(finished_at) WHERE finished_at IS NOT NULL;
                """)
        }
        migrator.registerMigration("v3: jobs claimed in order from an index") { db in
            // Claims walk the queued jobs in write order and stop at the batch size, instead of
            // sorting every queued job on each claim.
            try db.execute(sql: """
                DROP INDEX job_ready;
                CREATE INDEX job_order ON job(status, seq);
                """)
        }
        migrator.registerMigration("v4: thumbnails") { db in
            // In a table of their own, so scans of the product table never read them.
            try db.execute(sql: """
                CREATE TABLE thumbnail (
                    product INTEGER PRIMARY KEY REFERENCES product(id) ON DELETE CASCADE,
                    jpeg BLOB NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5: originals kept, tombstones, fenced claims") { db in
            // Uploaded images are kept once per digest for as long as a product or a job uses them
            // (so `reindex` can re-embed them); a delete leaves a tombstone in the write order; the
            // job table is rebuilt to refer to its image by digest and to record its claim time.
            try db.execute(sql: """
                CREATE TABLE original (
                    id INTEGER PRIMARY KEY,
                    digest TEXT NOT NULL UNIQUE,
                    bytes BLOB NOT NULL
                );
                INSERT OR IGNORE INTO original (digest, bytes) SELECT digest, bytes FROM upload ORDER BY id;
                CREATE TABLE job_v5 (
                    id TEXT PRIMARY KEY,
                    seq INTEGER NOT NULL UNIQUE,
                    product_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    metadata TEXT NOT NULL DEFAULT '',
                    image_digest TEXT,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    error TEXT,
                    worker_id TEXT,
                    lease_until DOUBLE,
                    claimed_at DOUBLE,
                    available_at DOUBLE NOT NULL,
                    created_at DOUBLE NOT NULL,
                    finished_at DOUBLE
                );
                INSERT INTO job_v5 (id, seq, product_id, name, description, metadata, image_digest, status, attempts,
                                    max_attempts, error, worker_id, lease_until, available_at, created_at, finished_at)
                    SELECT job.id, seq, product_id, name, description, metadata, upload.digest, status, attempts,
                           max_attempts, error, worker_id, lease_until, available_at, created_at, finished_at
                    FROM job LEFT JOIN upload ON upload.id = job.upload_id;
                DROP TABLE job;
                DROP TABLE upload;
                ALTER TABLE job_v5 RENAME TO job;
                CREATE INDEX job_order ON job(status, seq);
                CREATE INDEX job_finished ON job(finished_at) WHERE finished_at IS NOT NULL;
                CREATE INDEX job_image ON job(image_digest);
                CREATE INDEX job_product ON job(product_id, seq);
                CREATE INDEX product_image ON product(image_digest) WHERE image_digest IS NOT NULL;
                CREATE TABLE tombstone (
                    product_id TEXT PRIMARY KEY,
                    seq INTEGER NOT NULL,
                    deleted_at DOUBLE NOT NULL
                );
                """)
        }
        migrator.registerMigration("v6: change feed") { db in
            // Every write of a product row (an upsert, a job's completion, a re-embedding) and every
            // tombstone takes a fresh change number from write_sequence, so "what changed after N" is
            // one indexed range on each table. A purged tombstone raises the feed's floor: a reader
            // whose position is below it may have missed a delete and starts over.
            try db.execute(sql: """
                ALTER TABLE product ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
                UPDATE product SET change_seq = applied_seq;
                CREATE INDEX product_change ON product(change_seq);
                ALTER TABLE tombstone ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
                UPDATE tombstone SET change_seq = seq;
                CREATE INDEX tombstone_change ON tombstone(change_seq);
                CREATE TABLE feed (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    database_id TEXT NOT NULL,
                    floor INTEGER NOT NULL
                );
                INSERT INTO feed (id, database_id, floor) VALUES (1, lower(hex(randomblob(16))), 0);
                """)
        }
        migrator.registerMigration("v7: full-text index") { db in
            // The folded text of each product's name, description and metadata (folded in Swift as the
            // text embedding folds it, so the tokenizer only splits on spaces), for BM25 ranking.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE product_text USING fts5(name, description, metadata, tokenize = 'unicode61');
                CREATE TRIGGER product_text_delete AFTER DELETE ON product BEGIN
                    DELETE FROM product_text WHERE rowid = old.id;
                END;
                """)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, name, description, metadata FROM product")
            let insert = try db.makeStatement(sql: "INSERT INTO product_text (rowid, name, description, metadata) VALUES (?, ?, ?, ?)")
            while let row = try rows.next() {
                try insert.execute(arguments: [row["id"] as Int64, LexicalQuery.document(row["name"]),
                                               LexicalQuery.document(row["description"]), LexicalQuery.document(row["metadata"])])
            }
        }
        return migrator
    }
}
