import CVitrineKernels
import Dispatch
import Foundation

/// One search result.
public struct SearchHit: Sendable, Equatable {
    /// The product's id.
    public var productID: String
    /// Its name.
    public var name: String
    /// Exact cosine similarity to the query.
    public var score: Float
    /// The store's row for the product.
    public var rowID: Int64
}

/// Exact top-k cosine search held in memory compactly: each vector is
/// quantised to int8 with its own scale (512 bytes + 4 for 512-d, under the
/// 1 KB budget). A query scans every vector with an int8 SIMD kernel (AVX2
/// when the CPU has it) on every core, keeps the best `candidates`, and
/// re-ranks those with their exact Float32 vectors, so the results are those
/// of exact float search (see BENCHMARKS.md for recall).
public final class SearchIndex: @unchecked Sendable {
    /// The vectors' dimension (a multiple of 32).
    public let dimension: Int
    private var codes: [Int8] = []
    private var scales: [Float] = []
    private(set) var productIDs: [String] = []
    private(set) var names: [String] = []
    private(set) var rowIDs: [Int64] = []

    /// Number of vectors held.
    public var count: Int { scales.count }

    /// An empty index for vectors of `dimension`.
    public init(dimension: Int) {
        precondition(dimension % 32 == 0, "the dimension must be a multiple of 32")
        self.dimension = dimension
    }

    /// Reserves room for `count` vectors.
    public func reserve(_ count: Int) {
        codes.reserveCapacity(count * dimension)
        scales.reserveCapacity(count)
        productIDs.reserveCapacity(count)
        names.reserveCapacity(count)
        rowIDs.reserveCapacity(count)
    }

    /// Adds one vector (any length-`dimension` vector; cosine needs unit length).
    public func append(rowID: Int64, productID: String, name: String, vector: [Float]) {
        precondition(vector.count == dimension, "vector of \(vector.count) values in a \(dimension)-d index")
        let (quantised, scale) = Self.quantise(vector)
        codes.append(contentsOf: quantised)
        scales.append(scale)
        productIDs.append(productID)
        names.append(name)
        rowIDs.append(rowID)
    }

    /// The codes and scale stored for `position`.
    func code(at position: Int) -> (ArraySlice<Int8>, Float) {
        (codes[(position * dimension)..<((position + 1) * dimension)].withUnsafeBufferPointer { ArraySlice($0) }, scales[position])
    }

    /// Int8 codes and the scale that maps them back (value ≈ code · scale).
    static func quantise(_ vector: [Float]) -> ([Int8], Float) {
        var largest: Float = 0
        for value in vector { largest = max(largest, abs(value)) }
        guard largest > 0 else { return ([Int8](repeating: 0, count: vector.count), 0) }
        let scale = largest / 127
        let inverse = 1 / scale
        return (vector.map { Int8(max(-127, min(127, ($0 * inverse).rounded()))) }, scale)
    }

    /// The `k` products nearest `query` (cosine), excluding `excluding`.
    /// - Parameters:
    ///   - candidates: how many approximate best are re-ranked exactly (default max(10·k, 100)).
    ///   - threads: scanning threads (default: every core).
    ///   - exact: the exact vectors of the given index positions, for re-ranking.
    public func search(_ query: [Float], k: Int, excluding: String? = nil, candidates: Int? = nil,
                       threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                       exact: ([Int]) throws -> [[Float]]) rethrows -> [SearchHit] {
        guard k > 0, count > 0 else { return [] }
        precondition(query.count == dimension, "query of \(query.count) values in a \(dimension)-d index")
        let pool = min(count, max(candidates ?? max(10 * k, 100), k + (excluding == nil ? 0 : 1)))
        let best = approximateBest(query, keep: pool, threads: max(1, threads))
        let positions = best.filter { excluding == nil || productIDs[$0] != excluding }
        let vectors = try exact(positions)
        var hits: [SearchHit] = []
        hits.reserveCapacity(positions.count)
        for (position, vector) in zip(positions, vectors) {
            var score: Float = 0
            for index in 0..<dimension { score += query[index] * vector[index] }
            hits.append(SearchHit(productID: productIDs[position], name: names[position], score: score, rowID: rowIDs[position]))
        }
        hits.sort { $0.score > $1.score || ($0.score == $1.score && $0.productID < $1.productID) }
        return Array(hits.prefix(k))
    }

    /// Index positions of the `keep` best approximate scores, scanned on `threads` threads.
    func approximateBest(_ query: [Float], keep: Int, threads: Int) -> [Int] {
        let (queryCodes, queryScale) = Self.quantise(query)
        let stripes = min(threads, max(1, count / 4_096))
        let chunk = (count + stripes - 1) / stripes
        let heaps = ResultSlots<TopScores>(count: stripes)
        codes.withUnsafeBufferPointer { codes in
            scales.withUnsafeBufferPointer { scales in
                queryCodes.withUnsafeBufferPointer { q in
                    let shared = ScanInput(codes: codes.baseAddress!, scales: scales.baseAddress!, query: q.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
                        let start = stripe * chunk, end = min(count, start + chunk)
                        var top = TopScores(capacity: keep)
                        let block = 2_048
                        let scores = UnsafeMutablePointer<Int32>.allocate(capacity: block)
                        defer { scores.deallocate() }
                        var first = start
                        while first < end {
                            let n = min(block, end - first)
                            vt_dot_i8(shared.codes + first * dimension, n, dimension, shared.query, scores)
                            for offset in 0..<n {
                                top.offer(Float(scores[offset]) * shared.scales[first + offset] * queryScale, first + offset)
                            }
                            first += n
                        }
                        heaps.set(stripe, top)
                    }
                }
            }
        }
        var merged = TopScores(capacity: keep)
        for heap in heaps.values { for (score, position) in heap.items { merged.offer(score, position) } }
        return merged.items.sorted { $0.0 > $1.0 }.map(\.1)
    }
}

/// Read-only buffers shared by the scanning threads (alive for the whole scan).
private struct ScanInput: @unchecked Sendable {
    let codes: UnsafePointer<Int8>
    let scales: UnsafePointer<Float>
    let query: UnsafePointer<Int8>
}

/// The `capacity` highest scores seen, as a min-heap (the weakest on top).
struct TopScores: Sendable {
    private(set) var items: [(Float, Int)] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func offer(_ score: Float, _ position: Int) {
        if items.count < capacity {
            items.append((score, position))
            siftUp(items.count - 1)
        } else if score > items[0].0 {
            items[0] = (score, position)
            siftDown(0)
        }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            if items[child].0 >= items[parent].0 { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left].0 < items[smallest].0 { smallest = left }
            if right < items.count && items[right].0 < items[smallest].0 { smallest = right }
            if smallest == parent { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
