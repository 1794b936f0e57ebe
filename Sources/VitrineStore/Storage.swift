/// A store, its job queue and its change feed, opened together on one database: what
/// the server, the workers and the CLI are given (they see only the protocols).
public struct Storage: Sendable {
    /// Products and vectors.
    public let products: any ProductStore
    /// Indexing jobs.
    public let jobs: any JobQueue
    /// What changed after a position.
    public let feed: any ChangeFeed
    /// What the store pushes to other processes when it is written (nil: they poll).
    public let notifications: (any StoreNotifications)?
    /// Where it is, for messages (a file path, a database URL without its password).
    public let location: String

    /// Storage from its parts.
    public init(products: any ProductStore, jobs: any JobQueue, feed: any ChangeFeed,
                notifications: (any StoreNotifications)? = nil, location: String) {
        self.products = products
        self.jobs = jobs
        self.feed = feed
        self.notifications = notifications
        self.location = location
    }

    /// The embedded default: one SQLite file (created and migrated if needed).
    public static func sqlite(path: String, busyTimeout: Double = 10, automaticCheckpoints: Bool = true) throws(StoreError) -> Storage {
        Storage(sqlite: SQLiteProductStore(database: try SQLiteDatabase(path: path, busyTimeout: busyTimeout,
                                                                         automaticCheckpoints: automaticCheckpoints)))
    }
}

extension Storage {
    /// The storage of an open SQLite store (its queue and feed on the same database).
    public init(sqlite store: SQLiteProductStore) {
        self.init(products: store, jobs: SQLiteJobQueue(database: store.database), feed: store, location: store.path)
    }
}
