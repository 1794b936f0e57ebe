import Synchronization

/// Set from a signal handler (Ctrl-C) or a test; long runs check it between batches.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A flag that is not set.
    public init() {}

    /// Asks the run to stop after its current batch.
    public func stop() { flag.store(true, ordering: .relaxed) }

    /// True once ``stop()`` was called.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
