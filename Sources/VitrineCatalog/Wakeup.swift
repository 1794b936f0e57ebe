import Synchronization

/// Wakes tasks that wait for work (idle job workers, the index refresh) before their poll
/// interval ends: a signal resumes a waiter, or — when none waits — lets the next wait
/// return at once, so a signal sent while a task is busy is not lost.
public final class Wakeup: Sendable {
    private struct State {
        var pending = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())
    /// The most signals kept for tasks that are not waiting.
    private let maxPending: Int

    /// A wakeup keeping at most `maxPending` signals for tasks that are busy.
    public init(maxPending: Int = 64) {
        self.maxPending = maxPending
    }

    /// Wakes up to `count` waiting tasks (or the next waits).
    public func signal(_ count: Int = 1) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for _ in 0..<count {
                if let id = state.waiters.keys.first, let waiter = state.waiters.removeValue(forKey: id) {
                    woken.append(waiter)
                } else {
                    state.pending = min(maxPending, state.pending + 1)
                }
            }
            return woken
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns when signalled, after `timeout`, or when the task is cancelled.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.signalled() }
            await group.next()
            group.cancelAll()
        }
    }

    private func signalled() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending > 0 {
                        state.pending -= 1
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
