import Synchronization

/// Admission of CPU-heavy requests (sync indexing, search, similar,
/// duplicates): at most `limit` at once, running or waiting for the pool.
/// Above that a request is refused at once with 429 and `Retry-After`, instead
/// of queueing without bound behind work that will take seconds.
final class Admission: Sendable {
    private let inFlight = Atomic<Int>(0)
    /// The most requests admitted at once.
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Requests admitted now.
    var current: Int { inFlight.load(ordering: .relaxed) }

    /// Runs `body` if there is room, else throws 429 `busy`.
    func admit<T>(_ body: () async throws -> T) async throws -> T {
        let now = inFlight.add(1, ordering: .relaxed).newValue
        defer { inFlight.subtract(1, ordering: .relaxed) }
        guard now <= limit else {
            throw APIError(.tooManyRequests, "busy", "the server is busy with \(limit) searches and writes; retry in a moment",
                           retryAfter: 1)
        }
        return try await body()
    }
}

/// The upload bytes held in memory by all requests together. Bytes are
/// counted as they arrive, so a client that trickles holds only what it sent.
final class UploadBudget: Sendable {
    private let held = Atomic<Int>(0)
    /// The most bytes held at once.
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes held now.
    var current: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` from the budget; false (and nothing taken) when it would go above the limit.
    func reserve(_ bytes: Int) -> Bool {
        let now = held.add(bytes, ordering: .relaxed).newValue
        if now > limit {
            held.subtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives `bytes` back.
    func release(_ bytes: Int) {
        if bytes > 0 { held.subtract(bytes, ordering: .relaxed) }
    }
}
