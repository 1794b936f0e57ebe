import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineStore

/// Which database: `--db`, then `$VITRINE_DB`, then `./vitrine.sqlite`.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite database.", discussion: "Default: $VITRINE_DB, else ./vitrine.sqlite."))
    var db: String?

    var path: String {
        if let db { return db }
        if let path = ProcessInfo.processInfo.environment["VITRINE_DB"], !path.isEmpty { return path }
        return "vitrine.sqlite"
    }

    /// Opens (creating and migrating if needed) the storage: the store, its job queue and its change feed.
    /// A URL is not taken for a file name (SQLite would create folders named `postgres:`), nor a folder.
    func open(automaticCheckpoints: Bool = true) throws -> Storage {
        let location = path
        if let scheme = location.firstMatch(of: /^([A-Za-z][A-Za-z0-9+.\-]*):\/\//)?.1 {
            throw CLIError("--db \(scheme)://… is a database URL, and this Vitrine stores only in SQLite: give the path of a SQLite file (PostgreSQL is the next step, not yet built)")
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

    /// Where search index snapshots are kept: a folder beside the database (a cache: deleting it
    /// only makes the next search read the store).
    var snapshots: URL { URL(fileURLWithPath: path + "-index") }

    /// Brings the fused search index's snapshot up to date after a batch of writes (`index-catalog`,
    /// `reindex`), so the next `vitrine search` reads it instead of every vector in the store; a
    /// failure is only a warning (searches still work).
    func refreshSnapshot(of storage: Storage, modelID: String) {
        do throws(CatalogError) {
            try SearchIndexes(feed: storage.feed, modelID: modelID, snapshots: snapshots).open(.fused).saveSnapshot(minimumChanges: 1)
        } catch {
            FileHandle.standardError.write(Data("warning: the search index snapshot was not saved: \(error.message)\n".utf8))
        }
    }
}
