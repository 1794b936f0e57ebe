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
        return migrator
    }
}
