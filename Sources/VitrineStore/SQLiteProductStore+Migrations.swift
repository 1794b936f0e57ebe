import GRDB

extension SQLiteProductStore {
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
        return migrator
    }
}
