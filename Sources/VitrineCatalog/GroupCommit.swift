/// Group commit: items submitted while a commit is running wait and go
/// together in the next one, so under load one transaction (and one fsync)
/// serves many requests. Each caller resumes only once its item is committed.
public actor GroupCommit<Item: Sendable, Output: Sendable> {
    private let limit: Int
    private let pool: WorkPool
    private let commit: @Sendable ([Item]) throws -> [Output]
    private var pending: [(Item, CheckedContinuation<Output, Error>)] = []
    private var draining = false

    /// `commit` stores a batch (at most `limit` items) in one transaction, returning one output per item.
    public init(limit: Int, pool: WorkPool, commit: @escaping @Sendable ([Item]) throws -> [Output]) {
        self.limit = limit
        self.pool = pool
        self.commit = commit
    }

    /// Returns once `item` is committed (or throws the commit's error).
    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, Error>) in
            pending.append((item, continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending.prefix(limit)
            pending.removeFirst(batch.count)
            let items = batch.map(\.0), commit = self.commit
            do {
                let outputs = try await pool.run { try commit(items) }
                for ((_, continuation), output) in zip(batch, outputs) { continuation.resume(returning: output) }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
