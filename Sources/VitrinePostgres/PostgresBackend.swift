import Foundation
import Logging
import PostgresNIO
import VitrineStore

/// One PostgreSQL database, shared by the ``PostgresProductStore``, the ``PostgresJobQueue``
/// and the ``PostgresNotifications`` of a process — and by every process on every host that is
/// given the same URL: a pool of connections, versioned migrations run when it opens (under an
/// advisory lock), and the write order. See README.md in this folder.
public final class PostgresBackend: Sendable {
    /// Where it is (its description has no password).
    public let url: PostgresURL
    let pool: ConnectionPool

    /// Connects to `url` and migrates its schema; throws ``StoreError`` `.unavailable` when
    /// PostgreSQL cannot be reached, `.incompatible` when its schema is newer than this Vitrine's.
    /// - Parameter connections: the most connections this process opens at once.
    public init(url: PostgresURL, connections: Int = 16, logger: Logger = Logger(label: "vitrine-postgres")) throws(StoreError) {
        self.url = url
        pool = ConnectionPool(url: url, capacity: connections, logger: logger)
        try pool.withConnection { session in try Self.migrate(session, url: url) }
    }

    /// Closes the idle connections.
    public func close() { pool.close() }

    /// Runs `body` on a connection of the pool.
    func session<T>(_ body: (Session) throws -> T) throws(StoreError) -> T {
        try pool.withConnection(body)
    }

    /// Runs `body` in one read-only statement snapshot-consistent transaction (`REPEATABLE READ`).
    func read<T>(_ body: (Session) throws -> T) throws(StoreError) -> T {
        try pool.withConnection { session in try session.transaction("REPEATABLE READ", readOnly: true) { try body(session) } }
    }

    /// Runs `body` in a write transaction that first locks the write order (the `vitrine_feed`
    /// row), so that write transactions of every process on every host follow one another, and
    /// numbers taken from ``WriteOrder`` are committed in the order they were taken — what lets a
    /// change-feed reader trust that nothing below the committed head can still appear.
    func write<T>(_ body: (Session, inout WriteOrder) throws -> T) throws(StoreError) -> T {
        try pool.withConnection { session in
            try session.transaction {
                let head = try session.query("SELECT head FROM vitrine_feed WHERE id = 1 FOR UPDATE").first?.decode(Int64.self) ?? 0
                var order = WriteOrder(head: head)
                let result = try body(session, &order)
                if order.next != head || order.notifyJobs {
                    let channel = order.notifyJobs ? PostgresNotifications.jobsChannel : PostgresNotifications.feedChannel
                    try session.query("""
                        WITH moved AS (UPDATE vitrine_feed SET head = \(order.next) WHERE id = 1 RETURNING 1)
                        SELECT pg_notify(\(channel), '') FROM moved
                        """)
                }
                return result
            }
        }
    }
}

/// The numbers a write transaction takes from the one write order (inside ``PostgresBackend/write(_:)``).
struct WriteOrder {
    /// The committed head when the transaction locked it.
    let head: Int64
    /// The last number taken.
    private(set) var next: Int64
    /// Jobs were enqueued: workers are told (instead of the feed's listeners).
    var notifyJobs = false

    init(head: Int64) {
        self.head = head
        next = head
    }

    /// The next number of the write order.
    mutating func take() -> Int64 {
        next += 1
        return next
    }

    /// Moves past numbers taken in the database (by `vitrine_write_products`).
    mutating func advance(to head: Int64) {
        next = max(next, head)
    }
}
