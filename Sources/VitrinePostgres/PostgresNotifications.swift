import Foundation
import NIOCore
import PostgresNIO
import VitrineStore

/// ``StoreNotifications`` through PostgreSQL's LISTEN/NOTIFY, on a connection of its own: write
/// transactions notify `vitrine_jobs` (enqueued) or `vitrine_feed` (products changed) as they
/// commit, and every listening process on every host hears it.
public struct PostgresNotifications: StoreNotifications {
    /// The channel of enqueued jobs.
    static let jobsChannel = "vitrine_jobs"
    /// The channel of product changes.
    static let feedChannel = "vitrine_feed"

    let backend: PostgresBackend

    /// Notifications of `backend`.
    public init(backend: PostgresBackend) {
        self.backend = backend
    }

    public func listen(_ onNotice: @escaping @Sendable (StoreNotice) -> Void) async throws {
        let connection = try await backend.pool.connect()
        do {
            for (channel, notice) in [(Self.jobsChannel, StoreNotice.jobs), (Self.feedChannel, .changes)] {
                connection.addListener(channel: channel) { _, _ in onNotice(notice) }
                _ = try await connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: connection.logger)
            }
            onNotice(.jobs)
            onNotice(.changes)
            // Until cancelled (the connection is closed) or lost (the server went away).
            try await withTaskCancellationHandler {
                try await connection.closeFuture.get()
            } onCancel: {
                connection.close(in: ())
            }
            if !Task.isCancelled { throw StoreError(.unavailable, "the notification connection to \(backend.url) was closed") }
        } catch {
            connection.close(in: ())
            if Task.isCancelled { return }
            throw ConnectionPool.storeError(error, url: backend.url)
        }
    }
}
