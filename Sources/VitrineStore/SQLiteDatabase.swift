import Foundation
import GRDB

/// One SQLite database file, shared by the ``SQLiteProductStore``, the ``SQLiteJobQueue``
/// and the change feed of one process: one `DatabasePool` (WAL, so readers never wait for
/// the writer, and other processes can share the file), a busy timeout, full fsync on
/// commit, and versioned migrations run when it opens. See README.md in this folder.
public final class SQLiteDatabase: Sendable {
    /// The database file's path.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Parameters:
    ///   - busyTimeout: how long a writer waits for another process's write lock.
    ///   - automaticCheckpoints: false leaves WAL checkpoints to ``checkpoint()``, called
    ///     off the write path (the server and the workers do), so no commit stalls copying the WAL.
    public init(path: String, busyTimeout: TimeInterval = 10, automaticCheckpoints: Bool = true) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // With WAL, FULL makes each commit durable across a power cut, not only a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !automaticCheckpoints { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            // A WAL that grew during a long burst of writes is cut back to 64 MB when it starts over.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool: DatabasePool
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(.unavailable, "cannot open the database \(path): \(error)")
        }
        // A database migrated by a newer Vitrine is refused, untouched: this one cannot know what it changed.
        let (superseded, unknown): (Bool, [String])
        do {
            (superseded, unknown) = try pool.read { db in
                let known = Set(Self.migrator.migrations)
                return (try Self.migrator.hasBeenSuperseded(db),
                        try Self.migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted())
            }
        } catch {
            throw StoreError(.unavailable, "cannot read the database \(path): \(error)")
        }
        guard !superseded else {
            throw StoreError(.incompatible, "the database \(path) was migrated by a newer Vitrine (schema \(unknown.joined(separator: ", "))); this one knows up to \"\(Self.migrator.migrations.last ?? "")\" — run a newer vitrine")
        }
        do {
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError(.unavailable, "cannot migrate the database \(path): \(error)")
        }
        self.pool = pool
    }

    /// Copies the WAL back into the database file without blocking writers
    /// (a PASSIVE checkpoint, from a connection of its own).
    public func checkpoint() throws(StoreError) {
        do {
            let connection = try DatabaseQueue(path: path)
            try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        } catch {
            throw StoreError(.failed, "checkpointing \(path) failed: \(error)")
        }
    }

    /// Runs `body` in a read transaction (a consistent snapshot).
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch let error as StoreError { throw error } catch {
            throw StoreError(.failed, "reading \(path) failed: \(error)")
        }
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`; all or nothing).
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let error as StoreError { throw error } catch {
            throw StoreError(.failed, "writing \(path) failed: \(error)")
        }
    }
}
