import CVitrineKernels
import Dispatch
import Foundation
import VitrineEmbedding

/// Finds groups of near-duplicate images (the same photo re-encoded,
/// resized, cropped, padded) among many image vectors without comparing
/// every pair: the vectors are spread over √n coarse cells (each vector in
/// its four nearest), only vectors sharing a cell are compared (int8 SIMD), and
/// candidate pairs are confirmed with the exact vectors. Groups are the
/// connected components of confirmed pairs.
public struct DuplicateFinder: Sendable {
    /// Cosine similarity at or above which two images are near-duplicates.
    public var threshold: Float
    /// Worker threads.
    public var threads: Int
    /// Cells each vector joins (more: better recall, more comparisons).
    public var probes = 4

    /// The default threshold, chosen on real photos (model version 3; `vitrine-bench copies`,
    /// BENCHMARKS.md): at 0.95, 99.5 % of the pairs found are copies of one photo, among 547
    /// distinct real photos and 1,600 harsh copies of 100 of them (at 0.85, version 2's
    /// default chosen on the fixture drawings, 81 %). Milder copies (re-encoded, resized,
    /// blurred, recoloured) still score above it; crops, windows and collages mostly do not.
    public static let defaultThreshold: Float = 0.95

    /// Creates a finder.
    public init(threshold: Float = DuplicateFinder.defaultThreshold,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threshold = threshold
        self.threads = max(1, threads)
    }

    /// One group: index positions and the lowest confirmed similarity inside it.
    public struct Group: Sendable, Equatable {
        /// Members' positions, in ascending order.
        public var members: [Int]
        /// The smallest similarity among the confirmed pairs that joined the group.
        public var minimumScore: Float
    }

    /// Groups of near-duplicates among `vectors` (image vectors, unit length).
    public func groups(_ vectors: [[Float]]) -> [Group] {
        Self.groups(count: vectors.count, pairs: pairs(vectors), threshold: threshold)
    }

    /// A confirmed pair of near-duplicates: positions `a < b` and their exact similarity.
    public struct Pair: Sendable, Equatable {
        /// The first position.
        public var a: Int32
        /// The second position.
        public var b: Int32
        /// Their cosine similarity (image half), at least the finder's threshold.
        public var score: Float
    }

    /// Every pair among `vectors` whose similarity is at least ``threshold``, confirmed with the exact vectors.
    public func pairs(_ vectors: [[Float]]) -> [Pair] {
        let n = vectors.count
        guard n > 1 else { return [] }
        // Image vectors live in the image half: compare only those dimensions.
        let dimension = ModelSpec.imageSubspace
        var index = QuantisedVectors(dimension: dimension)
        index.reserve(n)
        for vector in vectors { index.append(Array(vector.prefix(dimension))) }
        let cells = max(1, Int(Double(n).squareRoot()))
        let centroidPositions = (0..<cells).map { $0 * n / cells }
        var centroidIndex = QuantisedVectors(dimension: dimension)
        for position in centroidPositions { centroidIndex.append(Array(vectors[position].prefix(dimension))) }
        let centroids = centroidIndex
        // Assign every vector to its nearest cells.
        let assignment = ParallelMap.run(Array(0..<n), workers: threads) { position in
            centroids.approximateBest(Array(vectors[position].prefix(dimension)), keep: min(probes, cells), threads: 1).map(\.slot)
        }
        var members = [[Int]](repeating: [], count: cells)
        for (position, nearest) in assignment.enumerated() { for cell in nearest { members[cell].append(position) } }
        // Compare within cells; keep pairs near the threshold (int8 scores are within ~0.01).
        let margin: Float = 0.02
        let threshold = self.threshold
        let cellMembers = members, cellIndex = index
        let pairLists = ParallelMap.run(Array(0..<cells), workers: threads) { cell -> [UInt64] in
            cellIndex.pairsAbove(threshold - margin, among: cellMembers[cell])
        }
        var candidates = Set<UInt64>()
        for list in pairLists { candidates.formUnion(list) }
        // Confirm with the exact vectors.
        var confirmed: [Pair] = []
        for pair in candidates.sorted() {
            let a = Int(pair >> 32), b = Int(pair & 0xFFFF_FFFF)
            var score: Float = 0
            for d in 0..<dimension { score += vectors[a][d] * vectors[b][d] }
            if score >= threshold { confirmed.append(Pair(a: Int32(a), b: Int32(b), score: score)) }
        }
        return confirmed
    }

    /// The groups (connected components) that the pairs at or above `threshold` make among `count` positions.
    public static func groups(count n: Int, pairs: [Pair], threshold: Float) -> [Group] {
        var parent = Array(0..<n)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var lowest = [Int: Float]()
        for pair in pairs where pair.score >= threshold {
            let ra = root(Int(pair.a)), rb = root(Int(pair.b))
            let joined = min(ra, rb)
            let low = min(pair.score, lowest[ra] ?? 1, lowest[rb] ?? 1)
            parent[max(ra, rb)] = joined
            lowest[joined] = low
        }
        var groups: [Int: [Int]] = [:]
        for position in 0..<n where root(position) != position || lowest[position] != nil {
            groups[root(position), default: []].append(position)
        }
        return groups.filter { $0.value.count > 1 }
            .map { Group(members: $0.value.sorted(), minimumScore: lowest[$0.key] ?? threshold) }
            .sorted { $0.members.count > $1.members.count || ($0.members.count == $1.members.count && $0.members[0] < $1.members[0]) }
    }
}

extension QuantisedVectors {
    /// Pairs (a << 32 | b, a < b) among `positions` whose approximate cosine is at least `minimum`.
    func pairsAbove(_ minimum: Float, among positions: [Int]) -> [UInt64] {
        guard positions.count > 1 else { return [] }
        // Gather the cell's codes contiguously and score each member against the rest.
        var gathered = [Int8](repeating: 0, count: positions.count * dimension)
        var cellScales = [Float](repeating: 0, count: positions.count)
        for (slot, position) in positions.enumerated() {
            let (codes, scale) = code(at: position)
            for d in 0..<dimension { gathered[slot * dimension + d] = codes[d] }
            cellScales[slot] = scale
        }
        var pairs: [UInt64] = []
        var scores = [Int32](repeating: 0, count: positions.count)
        gathered.withUnsafeBufferPointer { all in
            scores.withUnsafeMutableBufferPointer { out in
                for slot in 0..<(positions.count - 1) {
                    let rest = positions.count - slot - 1
                    vt_dot_i8(all.baseAddress! + (slot + 1) * dimension, rest, dimension,
                              all.baseAddress! + slot * dimension, out.baseAddress!)
                    for offset in 0..<rest {
                        let other = slot + 1 + offset
                        let score = Float(out[offset]) * cellScales[slot] * cellScales[other]
                        if score >= minimum {
                            let a = min(positions[slot], positions[other]), b = max(positions[slot], positions[other])
                            pairs.append(UInt64(a) << 32 | UInt64(b))
                        }
                    }
                }
            }
        }
        return pairs
    }
}
