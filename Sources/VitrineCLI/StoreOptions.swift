import ArgumentParser
import Foundation
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
}
