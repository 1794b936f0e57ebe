import Foundation
import VitrineCatalog
import VitrineStore

/// The server's one pool for blocking work (SQLite, decoding, embedding,
/// search): at most `threads` closures run at once, the rest wait in arrival
/// order, so nothing blocking ever runs on an event loop or the cooperative
/// pool, and no load can make the server run more blocking work at once.
/// Requests decide what they may queue here through ``Admission``.
/// (An `OperationQueue` with a bound: its threads are libdispatch's, started
/// and ended by it.)
final class WorkPool: Sendable {
    private let queue: OperationQueue

    /// A pool running at most `threads` closures at once.
    init(threads: Int, name: String = "vitrine-pool") {
        let queue = OperationQueue()
        queue.name = name
        queue.maxConcurrentOperationCount = max(1, threads)
        self.queue = queue
    }

    /// Work queued or running.
    var pending: Int { queue.operationCount }

    /// Runs `body` on the pool and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.addOperation {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// `run` for a route: store and catalogue errors become API errors (404, 413, 503, ...).
    func api<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await run(body)
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as CatalogError {
            throw APIError(error)
        }
    }
}
