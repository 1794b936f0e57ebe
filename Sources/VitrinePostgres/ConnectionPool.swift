import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import VitrineStore

/// PostgreSQL connections for blocking callers (the storage protocols are synchronous and run
/// on a process's work pool): at most `capacity` open at once, reused, opened again after
/// PostgreSQL restarts. A connection that failed in any way is closed rather than reused, so
/// a transaction cut short is always rolled back by the server. (postgres-nio's own
/// `PostgresClient` serves async callers and needs a running task on the cooperative pool,
/// which blocked pool threads must not depend on.)
final class ConnectionPool: @unchecked Sendable {
    private let url: PostgresURL
    private let configuration: PostgresConnection.Configuration
    private let group: any EventLoopGroup
    private let capacity: Int
    private let logger: Logger
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0

    /// A pool of up to `capacity` connections to `url`.
    init(url: PostgresURL, capacity: Int, connectTimeout: TimeAmount = .seconds(5),
         statementTimeout: Int = 60_000, logger: Logger) {
        self.url = url
        self.capacity = max(1, capacity)
        self.logger = logger
        group = MultiThreadedEventLoopGroup.singleton
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user,
                                                             password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [
            ("application_name", "vitrine"),
            // Nothing waits forever: a statement, a lock, an abandoned transaction.
            ("statement_timeout", "\(statementTimeout)"),
            ("lock_timeout", "\(statementTimeout)"),
            ("idle_in_transaction_session_timeout", "\(statementTimeout)"),
        ]
        self.configuration = configuration
    }

    /// Runs `body` with a connection of its own; the connection is closed (not reused) when
    /// `body` throws. Errors become ``StoreError``: `.unavailable` when PostgreSQL cannot be reached.
    func withConnection<T>(_ body: (Session) throws -> T) throws(StoreError) -> T {
        let connection = try checkOut()
        do {
            let result = try body(Session(connection: connection, logger: logger, url: url))
            checkIn(connection, healthy: true)
            return result
        } catch {
            checkIn(connection, healthy: false)
            throw Self.storeError(error, url: url)
        }
    }

    /// Opens a connection outside the pool (a listener's, which stays open); the caller closes it.
    func connect() async throws(StoreError) -> PostgresConnection {
        do {
            return try await connecting(within: .seconds(10), id: takeID()).get()
        } catch {
            throw Self.storeError(error, url: url)
        }
    }

    deinit {
        for connection in idle { connection.close(in: ()) }
    }

    /// Closes the idle connections (those in use close as they come back).
    func close() {
        condition.lock()
        let connections = idle
        idle = []
        open -= connections.count
        condition.unlock()
        for connection in connections { connection.close(in: ()) }
    }

    private func takeID() -> Int {
        condition.lock()
        defer { condition.unlock() }
        nextID += 1
        return nextID
    }

    private func checkOut() throws(StoreError) -> PostgresConnection {
        let deadline = Date().addingTimeInterval(30)
        condition.lock()
        while true {
            if let connection = idle.popLast() {
                if connection.isClosed { open -= 1; continue }
                condition.unlock()
                return connection
            }
            if open < capacity { break }
            guard condition.wait(until: deadline) else {
                condition.unlock()
                throw StoreError(.unavailable, "no connection to \(url) came free within 30 s (\(capacity) in use)")
            }
        }
        open += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try connectWithin(.seconds(10), id: id)
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw Self.storeError(error, url: url)
        }
    }

    /// Connects, waiting at most `deadline` for the whole handshake (postgres-nio's connect
    /// timeout covers the TCP connection only: a server that accepts and never answers would
    /// hold the caller forever). A connection that completes after the deadline is closed.
    private func connectWithin(_ deadline: TimeAmount, id: Int) throws -> PostgresConnection {
        try connecting(within: deadline, id: id).wait()
    }

    /// The connection, or a failure once `deadline` has passed.
    private func connecting(within deadline: TimeAmount, id: Int) -> EventLoopFuture<PostgresConnection> {
        let loop = group.next()
        let promise = loop.makePromise(of: PostgresConnection.self)
        let decided = NIOLockedValueBox(false)
        let url = self.url
        let timer = loop.scheduleTask(in: deadline) {
            guard decided.withLockedValue({ done in defer { done = true }; return !done }) else { return }
            promise.fail(StoreError(.unavailable, "PostgreSQL at \(url) did not complete a connection within \(deadline.nanoseconds / 1_000_000_000) s"))
        }
        PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger).whenComplete { result in
            timer.cancel()
            guard decided.withLockedValue({ done in defer { done = true }; return !done }) else {
                if case .success(let late) = result { late.close(in: ()) }
                return
            }
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        condition.lock()
        if healthy && !connection.isClosed {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
        if !healthy { connection.close(in: ()) }
    }

    /// A ``StoreError`` for anything a query or a connection threw.
    static func storeError(_ error: any Error, url: PostgresURL) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState] ?? ""
                // 57P01..57P03: the server is shutting down or starting; 53300: too many connections.
                let unavailable = state.hasPrefix("57P") || state == "53300" || state.hasPrefix("08")
                return StoreError(unavailable ? .unavailable : .failed, "PostgreSQL at \(url): \(message) (\(state))")
            }
            return StoreError(.unavailable, "PostgreSQL at \(url) cannot be reached: \(error.code)")
        }
        return StoreError(.unavailable, "PostgreSQL at \(url) cannot be reached: \(error)")
    }
}

/// One connection checked out of the pool: blocking queries, and transactions.
struct Session {
    let connection: PostgresConnection
    let logger: Logger
    let url: PostgresURL

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        Array(try run(query).rows)
    }

    /// Runs one statement and returns how many rows it changed.
    func execute(_ query: PostgresQuery) throws -> Int {
        try run(query).metadata.rows ?? 0
    }

    /// Waits for a statement, at most `deadline`: past it (a database host gone without a word,
    /// where the server's own statement timeout cannot fire) the connection is closed, which
    /// fails the statement, and the pool opens a new one next time.
    private func run(_ query: PostgresQuery, deadline: TimeInterval = 75) throws -> PostgresQueryResult {
        let connection = self.connection
        // The caller returns when the statement does, soon after its connection closes (a statement
        // handed to a connection that is closing was seen never to complete), or at the deadline.
        let done = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox<Result<PostgresQueryResult, any Error>?>(nil)
        connection.query(query, logger: logger).whenComplete { result in
            outcome.withLockedValue { $0 = result }
            done.signal()
        }
        let started = Date()
        var closedSeen: Date?
        while done.wait(timeout: .now() + 0.25) == .timedOut {
            if connection.isClosed {
                if let closedSeen, Date().timeIntervalSince(closedSeen) > 1 {
                    throw StoreError(.unavailable, "the connection to PostgreSQL at \(url) was closed")
                }
                closedSeen = closedSeen ?? Date()
            }
            if Date().timeIntervalSince(started) > deadline {
                connection.close(in: ())
                throw StoreError(.unavailable, "PostgreSQL at \(url) did not answer within \(Int(deadline)) s")
            }
        }
        guard let result = outcome.withLockedValue({ $0 }) else { throw StoreError(.failed, "a statement ended without a result") }
        return try result.get()
    }

    /// Runs `body` in a transaction (`READ COMMITTED` unless said otherwise), committing when it
    /// returns; when it throws, the pool closes the connection, which rolls the transaction back.
    func transaction<T>(_ isolation: String = "READ COMMITTED", readOnly: Bool = false, _ body: () throws -> T) throws -> T {
        try query(PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation)\(readOnly ? " READ ONLY" : "")"))
        let result = try body()
        try query("COMMIT")
        return result
    }

    /// Rolls the current transaction back (a write that turned out to change nothing).
    func rollback() throws {
        try query("ROLLBACK")
    }
}

extension PostgresConnection {
    /// Closes the connection without waiting (the future's result is of no interest).
    func close(in _: Void) {
        let closed: EventLoopFuture<Void> = close()
        // Kept alive until closed (postgres-nio checks that a connection is closed before it goes).
        closed.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
