import Foundation
import Synchronization

/// Maps a function over items on several threads, keeping the input order
/// (each item is handled by one thread; the result does not depend on the count).
/// Threads take the next item as they finish one, so uneven items (a large photo
/// beside small ones) do not leave a thread idle. The threads are the caller's and
/// threads of their own: Dispatch's global queue (and `concurrentPerform`) was seen
/// to run such long blocks one at a time in the CLI process, leaving a core idle.
public enum ParallelMap {
    /// `transform` of every item, in input order, on up to `workers` threads (a batch's data
    /// parallelism inside one command or one piece of pool work).
    public static func run<Input: Sendable, Output: Sendable>(_ items: [Input], workers: Int,
                                                        _ transform: @escaping @Sendable (Input) -> Output) -> [Output] {
        if items.isEmpty { return [] }
        let results = ResultSlots<Output>(count: items.count)
        let next = Atomic<Int>(0)
        let work: @Sendable () -> Void = {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < items.count else { return }
                results.set(index, transform(items[index]))
            }
        }
        // The caller works too; the others on threads of their own.
        let helpers = min(max(workers, 1), items.count) - 1
        let finished = FinishLine(count: helpers)
        for _ in 0..<helpers {
            let thread = Thread { work(); finished.arrive() }
            thread.stackSize = 4 << 20
            thread.start()
        }
        work()
        finished.wait()
        return results.values
    }

    /// `transform` of every item on `workers` threads, handed to `consume` on the calling
    /// thread in input order as soon as each is ready (at most `window` items ahead of the
    /// one consumed, which bounds memory): the caller writes results while the workers go on.
    public static func stream<Input: Sendable, Output: Sendable>(_ items: [Input], workers: Int, window: Int,
                                                           _ transform: @escaping @Sendable (Input) -> Output,
                                                           consume: (Output) throws -> Void) rethrows {
        if items.isEmpty { return }
        let queue = OrderedResults<Output>(count: items.count, window: max(window, workers, 1))
        let threads = min(max(workers, 1), items.count)
        let finished = FinishLine(count: threads)
        for _ in 0..<threads {
            let thread = Thread {
                while let index = queue.claim() { queue.deliver(index, transform(items[index])) }
                finished.arrive()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        defer { queue.cancel(); finished.wait() }
        for index in 0..<items.count { try consume(queue.take(index)) }
    }
}

/// Results delivered out of order and taken in order, with a bounded look-ahead. Waiters
/// are woken only when what they wait for happened (the consumer when its next result
/// arrives, workers when the window opens), not on every result: those wake-ups showed as
/// 6 % of `vitrine embed`'s profile (its throughput did not move measurably without them).
private final class OrderedResults<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Int: Value] = [:]
    private var nextClaim = 0, consumed = 0, cancelled = false
    /// The index the consumer waits for (-1: it is not waiting), and how many workers wait for the window.
    private var consumerWaitsFor = -1, workersWaiting = 0
    private let count: Int, window: Int

    init(count: Int, window: Int) { self.count = count; self.window = window }

    /// The next index to work on, waiting while the window is full; nil when none is left.
    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while !cancelled && nextClaim < count && nextClaim >= consumed + window {
            workersWaiting += 1
            condition.wait()
            workersWaiting -= 1
        }
        guard !cancelled, nextClaim < count else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    func deliver(_ index: Int, _ value: Value) {
        condition.lock()
        slots[index] = value
        if consumerWaitsFor == index { condition.broadcast() }
        condition.unlock()
    }

    func take(_ index: Int) -> Value {
        condition.lock(); defer { condition.unlock() }
        while slots[index] == nil {
            consumerWaitsFor = index
            condition.wait()
        }
        consumerWaitsFor = -1
        consumed = index + 1
        if workersWaiting > 0 { condition.broadcast() }
        return slots.removeValue(forKey: index)!
    }

    /// Stops handing out work (the consumer stopped early, or finished).
    func cancel() { condition.lock(); cancelled = true; condition.broadcast(); condition.unlock() }
}

/// Waits until `count` threads have arrived.
private final class FinishLine: @unchecked Sendable {
    private let condition = NSCondition()
    private var remaining: Int

    init(count: Int) { remaining = count }

    func arrive() { condition.lock(); remaining -= 1; condition.broadcast(); condition.unlock() }

    func wait() { condition.lock(); while remaining > 0 { condition.wait() }; condition.unlock() }
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
