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
    func open(automaticCheckpoints: Bool = true) throws -> Storage {
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
