import Dispatch

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
}
