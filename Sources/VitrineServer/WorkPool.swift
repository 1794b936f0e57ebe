import Foundation
import VitrineCatalog
import VitrineStore

/// The server's one pool for blocking work (SQLite, decoding, embedding,
/// search): a fixed number of threads taking closures in arrival order, so
/// nothing blocking ever runs on an event loop or the cooperative pool, and no
/// load can make the server start more threads. Requests decide what they may
/// queue here through ``Admission``.
final class WorkPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var stopped = false

    /// Starts `threads` threads named `name-1`, `name-2`…
    init(threads: Int, name: String = "vitrine-pool") {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in loop() }
            thread.name = "\(name)-\(index + 1)"
            thread.start()
        }
    }

    /// Lets the threads end once the work already queued is done.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Work queued or running.
    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    private func loop() {
        while true {
            condition.lock()
            while head == queue.count && !stopped { condition.wait() }
            if head == queue.count {
                condition.unlock()
                return
            }
            let work = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            work()
        }
    }

    private func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the pool and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit {
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
