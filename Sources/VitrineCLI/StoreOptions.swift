import ArgumentParser
import Foundation
import VitrineCatalog
import VitrinePostgres
import VitrineStore

/// Which database: `--db`, then `$VITRINE_DB`, then `./vitrine.sqlite`. A path is a SQLite file
/// (the embedded default); `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` is PostgreSQL, shared
/// by API nodes and workers on any number of hosts.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.",
                               discussion: "Default: $VITRINE_DB, else ./vitrine.sqlite."))
    var db: String?

    var path: String {
        if let db { return db }
        if let path = ProcessInfo.processInfo.environment["VITRINE_DB"], !path.isEmpty { return path }
        return "vitrine.sqlite"
    }

    /// True when the database is PostgreSQL.
    var isPostgres: Bool { PostgresURL.matches(path) }

    /// Opens (creating and migrating if needed) the storage: the store, its job queue and its change feed.
    /// A URL of another kind is not taken for a file name (SQLite would create folders named `mysql:`), nor a folder.
    /// - Parameters:
    ///   - connections: with PostgreSQL, the most connections this process opens.
    ///   - waitSeconds: with PostgreSQL, how long to keep trying while it cannot be reached (a
    ///     long-running node started with, or before, its database); the commands that answer at
    ///     once give up at once.
    ///   - stopped: with `waitSeconds`, true when the process was asked to stop meanwhile.
    func open(automaticCheckpoints: Bool = true, connections: Int = 16, waitSeconds: Double = 0,
              stopped: () -> Bool = { false }) throws -> Storage {
        let location = path
        if isPostgres {
            let deadline = Date().addingTimeInterval(waitSeconds)
            var told = false
            while true {
                do throws(StoreError) {
                    return try Storage.postgres(url: try PostgresURL(location), connections: connections)
                } catch where error.code == .unavailable && Date() < deadline && !stopped() {
                    if !told {
                        FileHandle.standardError.write(Data("waiting up to \(Int(waitSeconds)) s for the database: \(error.message)\n".utf8))
                        told = true
                    }
                    Thread.sleep(forTimeInterval: 1)
                } catch {
                    throw CLIError(error.description)
                }
            }
        }
        if let scheme = location.firstMatch(of: /^([A-Za-z][A-Za-z0-9+.\-]*):\/\//)?.1 {
            throw CLIError("--db \(scheme)://… is not a database Vitrine knows: give the path of a SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: location, isDirectory: &isFolder), isFolder.boolValue {
            throw CLIError("--db \(location) is a folder: give the path of a SQLite database file (created if missing)")
        }
        do throws(StoreError) {
            return try Storage.sqlite(path: path, automaticCheckpoints: automaticCheckpoints)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// Where search index snapshots are kept: a folder beside a SQLite database (a cache: deleting
    /// it only makes the next search read the store). None for PostgreSQL: a node reads the index
    /// from the database when it starts, then follows the change feed.
    var snapshots: URL? { isPostgres ? nil : URL(fileURLWithPath: path + "-index") }

    /// Brings the fused search index's snapshot up to date after a batch of writes (`index-catalog`,
    /// `reindex`), so the next `vitrine search` reads it instead of every vector in the store; a
    /// failure is only a warning (searches still work).
    func refreshSnapshot(of storage: Storage, modelID: String) {
        guard let snapshots else { return }
        do throws(CatalogError) {
            try SearchIndexes(feed: storage.feed, modelID: modelID, snapshots: snapshots).open(.fused).saveSnapshot(minimumChanges: 1)
        } catch {
            FileHandle.standardError.write(Data("warning: the search index snapshot was not saved: \(error.message)\n".utf8))
        }
    }
}
