import Foundation

/// A task executor that runs each job on a thread of its own, for tests whose bodies make
/// blocking calls (a store's synchronous API, a database's network round trips): run under
/// ``onOwnThreads(_:)``, they never hold the cooperative pool (two threads here) that
/// in-process servers of other tests, running at the same time, need to answer.
public final class ThreadPerJobExecutor: TaskExecutor, @unchecked Sendable {
    /// The one instance.
    public static let shared = ThreadPerJobExecutor()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Runs `body` with its jobs on threads of their own (see ``ThreadPerJobExecutor``).
public func onOwnThreads<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await body() }
}
