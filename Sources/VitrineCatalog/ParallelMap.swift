import Dispatch

/// Maps a function over items on several threads, keeping the input order
/// (each item is handled by one thread; the result does not depend on the count).
public enum ParallelMap {
    /// `transform` of every item, in input order, on up to `workers` threads (a batch's data
    /// parallelism inside one command or one piece of pool work).
    public static func run<Input: Sendable, Output: Sendable>(_ items: [Input], workers: Int,
                                                        _ transform: @Sendable (Input) -> Output) -> [Output] {
        if items.isEmpty { return [] }
        let results = ResultSlots<Output>(count: items.count)
        let stripes = min(max(workers, 1), items.count)
        DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
            var index = stripe
            while index < items.count {
                results.set(index, transform(items[index]))
                index += stripes
            }
        }
        return results.values
    }
}

/// Write-once slots filled from several threads (each index by exactly one thread).
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil, count: count)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func set(_ index: Int, _ value: Value) { storage[index] = value }

    var values: [Value] { (0..<count).map { storage[$0]! } }
}
