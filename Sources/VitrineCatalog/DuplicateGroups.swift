import VitrineStore

/// A product in a group of near-duplicates.
public struct DuplicateMember: Sendable, Equatable {
    /// The product's id.
    public var productID: String
    /// Its name.
    public var name: String
}

/// Products whose images are near-duplicates of each other.
public struct DuplicateGroup: Sendable, Equatable {
    /// The products, in row order.
    public var members: [DuplicateMember]
    /// The lowest similarity that joined the group.
    public var minimumScore: Float
}

/// The confirmed near-duplicate pairs among every stored product image, at one
/// threshold: computed once, then grouped at that threshold or any higher one
/// without comparing vectors again (the server caches one per store version).
public struct DuplicatePairs: Sendable {
    /// The products with an image, by position.
    public var members: [DuplicateMember]
    /// The pairs at or above ``threshold``.
    public var pairs: [DuplicateFinder.Pair]
    /// The threshold the pairs were found at.
    public var threshold: Float

    /// Finds the pairs among the store's image vectors with `finder`.
    public init(in store: any ProductStore, finder: DuplicateFinder) throws {
        var members: [DuplicateMember] = [], vectors: [[Float]] = []
        try store.forEachVector(.image) { stored in
            members.append(DuplicateMember(productID: stored.productID, name: stored.name))
            vectors.append(stored.vector)
        }
        self.members = members
        pairs = finder.pairs(vectors)
        threshold = finder.threshold
    }

    /// The groups at `threshold` (at least the pairs' own threshold).
    public func groups(at threshold: Float) -> [DuplicateGroup] {
        groups(of: pairs, at: threshold)
    }

    /// The groups at `threshold` among the products of `index` that match `filter`: of the pairs
    /// whose both products match (so a group never links two matching products through one that does not).
    public func groups(at threshold: Float, among index: SearchIndex, filter: Filter) -> [DuplicateGroup] {
        let kept = index.select(filter) { selection in members.map { selection.contains(productID: $0.productID) } }
        return groups(of: pairs.filter { kept[Int($0.a)] && kept[Int($0.b)] }, at: threshold)
    }

    private func groups(of pairs: [DuplicateFinder.Pair], at threshold: Float) -> [DuplicateGroup] {
        DuplicateFinder.groups(count: members.count, pairs: pairs, threshold: max(threshold, self.threshold)).map { group in
            DuplicateGroup(members: group.members.map { members[$0] }, minimumScore: group.minimumScore)
        }
    }
}

extension DuplicateFinder {
    /// The near-duplicate groups among every stored product image (for the CLI and the API).
    public func groups(in store: any ProductStore) throws -> [DuplicateGroup] {
        try DuplicatePairs(in: store, finder: self).groups(at: threshold)
    }
}
