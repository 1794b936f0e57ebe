import Foundation
import Synchronization
import VitrineCatalog
import VitrineStore

/// The in-memory search indexes, one per vector kind, reloaded when the
/// database has changed (checked at most every half second), so search sees
/// products indexed by any process within a second.
final class SearchCache: Sendable {
    private let search: CatalogSearch
    private let store: SQLiteProductStore
    private let state = Mutex<[VectorKind: (index: SearchIndex, version: StoreVersion, checked: Date)]>([:])

    init(search: CatalogSearch, store: SQLiteProductStore) {
        self.search = search
        self.store = store
    }

    /// The current index of `kind`.
    func index(_ kind: VectorKind) throws -> SearchIndex {
        let now = Date()
        if let cached = state.withLock({ $0[kind] }), now.timeIntervalSince(cached.checked) < 0.5 { return cached.index }
        let version = try store.version()
        if let cached = state.withLock({ $0[kind] }), cached.version == version {
            state.withLock { $0[kind]?.checked = now }
            return cached.index
        }
        let index = try search.loadIndex(kind)
        state.withLock { $0[kind] = (index, version, now) }
        return index
    }
}
