import Foundation

/// A process's one pool for blocking work (SQLite, decoding, embedding, search):
/// at most `threads` closures run at once, the rest wait in arrival order, so
/// nothing blocking ever runs on an event loop or the cooperative pool, and no
/// load can make a process run more blocking work at once. The server's requests
/// decide what they may queue here through its admission control.
/// (An `OperationQueue` with a bound: its threads are libdispatch's, started
/// and ended by it.)
public final class WorkPool: Sendable {
    private let queue: OperationQueue

    /// A pool running at most `threads` closures at once.
    public init(threads: Int, name: String = "vitrine-pool") {
        let queue = OperationQueue()
        queue.name = name
        queue.maxConcurrentOperationCount = max(1, threads)
        self.queue = queue
    }

    /// Work queued or running.
    public var pending: Int { queue.operationCount }

    /// Queues `body` on the pool and returns at once (for work whose result is handed on by other
    /// means, never waited for from a task that needs the cooperative pool to resume).
    public func submit(_ body: @escaping @Sendable () -> Void) {
        queue.addOperation(BlockOperation(block: body))
    }

    /// Runs `body` on the pool and returns its result. Urgent work (a lease renewal) goes
    /// before everything waiting, though it never stops what already runs.
    public func run<T: Sendable>(urgent: Bool = false, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let operation = BlockOperation {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            if urgent { operation.queuePriority = .veryHigh }
            queue.addOperation(operation)
        }
    }
}
