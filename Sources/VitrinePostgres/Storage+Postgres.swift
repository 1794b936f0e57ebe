import Logging
import VitrineStore

extension Storage {
    /// PostgreSQL at `url`: the store, its queue, its change feed and its notifications on one
    /// database (connected and migrated now), shared with every process given the same URL.
    /// - Parameter connections: the most connections this process opens at once.
    public static func postgres(url: PostgresURL, connections: Int = 16,
                                logger: Logger = Logger(label: "vitrine-postgres")) throws(StoreError) -> Storage {
        let backend = try PostgresBackend(url: url, connections: connections, logger: logger)
        let store = PostgresProductStore(backend: backend)
        return Storage(products: store, jobs: PostgresJobQueue(backend: backend), feed: store,
                       notifications: PostgresNotifications(backend: backend), location: url.description)
    }
}
