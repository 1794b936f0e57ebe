/// What a store tells its listeners, in every process on every host, when another process wrote.
public enum StoreNotice: Sendable, Equatable {
    /// Jobs were enqueued: idle workers should claim.
    case jobs
    /// Products changed: change-feed readers should read on.
    case changes
}

/// Notifications pushed by a store (PostgreSQL's LISTEN/NOTIFY), so that workers and search
/// indexes need not poll often. A store without them (SQLite) has none: its readers poll.
public protocol StoreNotifications: Sendable {
    /// Listens until the task is cancelled, calling `onNotice` for each notice (and once for
    /// each kind when listening starts, since notices sent before were not heard); throws when
    /// the connection is lost, so the caller can listen again.
    func listen(_ onNotice: @escaping @Sendable (StoreNotice) -> Void) async throws
}
