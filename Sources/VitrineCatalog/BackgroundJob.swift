import Foundation

/// One piece of blocking work on a thread of its own, whose result the caller collects
/// later: `index-catalog` writes one batch while the next is embedded.
final class BackgroundJob<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?

    /// Starts `work` now.
    init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result { try work() }
            condition.lock(); result = outcome; condition.broadcast(); condition.unlock()
        }
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Waits for the work to end; its value, or the error it threw.
    func wait() throws -> Value {
        condition.lock(); defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
