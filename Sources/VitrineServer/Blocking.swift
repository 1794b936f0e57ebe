import Dispatch
import VitrineCatalog
import VitrineStore

/// Runs blocking work (SQLite, image decoding) on a dispatch queue, never on
/// the server's event loops or the cooperative thread pool.
enum Blocking {
    private static let queue = DispatchQueue(label: "vitrine.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// `run` for a route: store and catalogue errors become API errors (404, 503, ...).
    static func api<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await run(body)
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as CatalogError {
            throw APIError(error)
        }
    }
}
