/// Group commit: items submitted while a commit is running wait and go together in
/// the next one, so under load one transaction (and one fsync) serves many requests.
/// Each caller resumes only once its item is committed. The commits run in the callers'
/// own tasks: the first caller to find none running leads — it commits batch after batch
/// until its own item is in, then hands the lead to the oldest caller still waiting — so
/// no task outlives the requests that asked for the work, and no caller waits for more
/// than the batches ahead of its own.
public actor GroupCommit<Item: Sendable, Output: Sendable> {
    private enum Turn {
        case done(Output)
        case lead
    }

    private let limit: Int
    private let pool: WorkPool
    private let commit: @Sendable ([Item]) throws -> [Output]
    private var pending: [(ticket: Int, item: Item)] = []
    private var finished: [Int: Result<Output, Error>] = [:]
    private var waiting: [Int: CheckedContinuation<Turn, Error>] = [:]
    private var nextTicket = 0
    private var leading = false

    /// `commit` stores a batch (at most `limit` items) in one transaction on `pool`, returning one output per item.
    public init(limit: Int, pool: WorkPool, commit: @escaping @Sendable ([Item]) throws -> [Output]) {
        self.limit = limit
        self.pool = pool
        self.commit = commit
    }

    /// Returns once `item` is committed (or throws the commit's error).
    public func submit(_ item: Item) async throws -> Output {
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, item))
        if !leading {
            leading = true
            return try await lead(until: ticket)
        }
        // Registered in the same turn as the append: every pending item has a caller waiting or leading.
        switch try await withCheckedThrowingContinuation({ waiting[ticket] = $0 }) {
        case .done(let output): return output
        case .lead: return try await lead(until: ticket)
        }
    }

    /// Commits batches until `ticket`'s is in, then hands the lead on (the actor is free while a
    /// batch commits: other callers join the queue meanwhile).
    private func lead(until ticket: Int) async throws -> Output {
        while finished[ticket] == nil, !pending.isEmpty {
            let batch = Array(pending.prefix(limit))
            pending.removeFirst(batch.count)
            let items = batch.map(\.item), commit = self.commit
            let outcome: Result<[Output], Error>
            do { outcome = .success(try await pool.run { try commit(items) }) } catch { outcome = .failure(error) }
            for (index, entry) in batch.enumerated() {
                let result = outcome.map { $0[index] }
                if entry.ticket == ticket {
                    finished[ticket] = result
                } else if let continuation = waiting.removeValue(forKey: entry.ticket) {
                    continuation.resume(with: result.map(Turn.done))
                }
            }
        }
        if let next = pending.first, let continuation = waiting.removeValue(forKey: next.ticket) {
            continuation.resume(returning: .lead)
        } else {
            leading = false
        }
        return try finished.removeValue(forKey: ticket)!.get()
    }
}
