import Foundation

/// One piece of blocking work on a thread of its own, whose result the caller collects
/// later: `index-catalog` surveys the file, reads the next batch and writes the last one while a batch is embedded.
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

    /// The value when the work has ended with one; nil while it runs (or when it threw). Never waits.
    var valueIfFinished: Value? {
        condition.lock(); defer { condition.unlock() }
        return try? result?.get()
    }

    /// Waits for the work to end; its value, or the error it threw.
    func wait() throws -> Value {
        condition.lock(); defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
