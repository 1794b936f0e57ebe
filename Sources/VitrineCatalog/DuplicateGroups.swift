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

extension DuplicateFinder {
    /// The near-duplicate groups among every stored product image (for the CLI and the API).
    public func groups(in store: any ProductStore) throws -> [DuplicateGroup] {
        var members: [DuplicateMember] = [], vectors: [[Float]] = []
        try store.forEachVector(.image) { stored in
            members.append(DuplicateMember(productID: stored.productID, name: stored.name))
            vectors.append(stored.vector)
        }
        return groups(vectors).map { group in
            DuplicateGroup(members: group.members.map { members[$0] }, minimumScore: group.minimumScore)
        }
    }
}
