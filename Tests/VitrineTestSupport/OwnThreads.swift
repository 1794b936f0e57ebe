import Foundation
import Testing

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

/// A trait for suites and tests whose bodies block (waiting for child processes, sockets,
/// a store's synchronous API): the body, and every test of a suite, runs under
/// ``onOwnThreads(_:)``, so it never holds one of the cooperative pool's threads that the
/// in-process servers of tests running at the same time need to answer.
public struct OwnThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    /// Applies to every test of a suite it is attached to.
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await VitrineTestSupport.onOwnThreads { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// Runs the test (or every test of the suite) on threads of its own; see ``OwnThreadsTrait``.
    public static var onOwnThreads: Self { OwnThreadsTrait() }
}
