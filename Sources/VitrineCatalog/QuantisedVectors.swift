import CVitrineKernels
import Dispatch
import Foundation

/// Vectors held compactly for scanning: each quantised to int8 with its own scale
/// (512 bytes + 4 for 512-d), in one contiguous array, scanned with an int8 SIMD
/// kernel (AVX2 when the CPU has it). The storage of ``SearchIndex`` and of the
/// near-duplicate finder; positions are slots, and a slot can be overwritten.
struct QuantisedVectors: Sendable {
    /// The vectors' dimension (a multiple of 32).
    let dimension: Int
    private(set) var codes: [Int8] = []
    private(set) var scales: [Float] = []

    /// Slots held (live or not).
    var count: Int { scales.count }

    init(dimension: Int) {
        precondition(dimension % 32 == 0, "the dimension must be a multiple of 32")
        self.dimension = dimension
    }

    /// Vectors from their stored codes and scales (a snapshot).
    init(dimension: Int, codes: [Int8], scales: [Float]) {
        precondition(codes.count == scales.count * dimension, "codes and scales disagree")
        self.dimension = dimension
        self.codes = codes
        self.scales = scales
    }

    mutating func reserve(_ count: Int) {
        codes.reserveCapacity(count * dimension)
        scales.reserveCapacity(count)
    }

    /// Adds a vector in a new slot and returns the slot.
    @discardableResult
    mutating func append(_ vector: [Float]) -> Int {
        precondition(vector.count == dimension, "vector of \(vector.count) values in a \(dimension)-d index")
        let (quantised, scale) = Self.quantise(vector)
        codes.append(contentsOf: quantised)
        scales.append(scale)
        return scales.count - 1
    }

    /// Overwrites the vector in `slot`.
    mutating func set(_ slot: Int, _ vector: [Float]) {
        precondition(vector.count == dimension, "vector of \(vector.count) values in a \(dimension)-d index")
        let (quantised, scale) = Self.quantise(vector)
        codes.replaceSubrange((slot * dimension)..<((slot + 1) * dimension), with: quantised)
        scales[slot] = scale
    }

    /// Empties `slot`: it scores 0 against everything until it is set again.
    mutating func clear(_ slot: Int) {
        for index in (slot * dimension)..<((slot + 1) * dimension) { codes[index] = 0 }
        scales[slot] = 0
    }

    /// The codes (indexed from 0) and scale stored in `slot`.
    func code(at slot: Int) -> ([Int8], Float) {
        (Array(codes[(slot * dimension)..<((slot + 1) * dimension)]), scales[slot])
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

    /// Slots of the `keep` best approximate scores (best first), scanned in stripes on `threads`
    /// threads; only slots of `among` when given (a filter's matches). A selective filter's slots
    /// are scored one by one; a broad one's in blocks, as without a filter, keeping only its slots.
    func approximateBest(_ query: [Float], keep: Int, threads: Int, among: Bitset? = nil) -> [(score: Float, slot: Int)] {
        guard count > 0, keep > 0 else { return [] }
        let dimension = self.dimension, count = self.count
        if let among, among.count * 8 < count {
            // A selective filter: each of its slots scored on its own, runs of its words per thread.
            let words = among.words, wordCount = words.count
            let stripes = min(max(1, threads), max(1, among.count / 2_048))
            let chunk = (wordCount + stripes - 1) / stripes
            return scan(query, keep: keep, stripes: stripes) { shared, queryScale, stripe, top in
                var score: Int32 = 0
                for word in (stripe * chunk)..<min(wordCount, (stripe + 1) * chunk) where words[word] != 0 {
                    var bits = words[word]
                    while bits != 0 {
                        let slot = word << 6 | bits.trailingZeroBitCount
                        bits &= bits - 1
                        vt_dot_i8(shared.codes + slot * dimension, 1, dimension, shared.query, &score)
                        top.offer(Float(score) * shared.scales[slot] * queryScale, slot)
                    }
                }
            }
        }
        let stripes = min(max(1, threads), max(1, count / 4_096))
        let chunk = (count + stripes - 1) / stripes
        return scan(query, keep: keep, stripes: stripes) { shared, queryScale, stripe, top in
            let start = stripe * chunk, end = min(count, start + chunk)
            let block = 2_048
            let scores = UnsafeMutablePointer<Int32>.allocate(capacity: block)
            defer { scores.deallocate() }
            var first = start
            while first < end {
                let n = min(block, end - first)
                vt_dot_i8(shared.codes + first * dimension, n, dimension, shared.query, scores)
                if let among {
                    for offset in 0..<n where among.contains(first + offset) {
                        top.offer(Float(scores[offset]) * shared.scales[first + offset] * queryScale, first + offset)
                    }
                } else {
                    for offset in 0..<n { top.offer(Float(scores[offset]) * shared.scales[first + offset] * queryScale, first + offset) }
                }
                first += n
            }
        }
    }

    /// Runs `stripe` for stripes `0..<stripes` (on every core when more than one), each keeping its
    /// best `keep` in a heap, over the codes and the quantised query; the heaps merged, best first.
    private func scan(_ query: [Float], keep: Int, stripes: Int,
                      _ stripe: @escaping @Sendable (ScanInput, Float, Int, inout TopScores) -> Void) -> [(score: Float, slot: Int)] {
        let (queryCodes, queryScale) = Self.quantise(query)
        let heaps = ResultSlots<TopScores>(count: stripes)
        codes.withUnsafeBufferPointer { codes in
            scales.withUnsafeBufferPointer { scales in
                queryCodes.withUnsafeBufferPointer { q in
                    let shared = ScanInput(codes: codes.baseAddress!, scales: scales.baseAddress!, query: q.baseAddress!)
                    let run = { @Sendable (index: Int) in
                        var top = TopScores(capacity: keep)
                        stripe(shared, queryScale, index, &top)
                        heaps.set(index, top)
                    }
                    // Data parallelism inside one piece of pool work: the stripes of one scan.
                    if stripes == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: stripes, execute: run) }
                }
            }
        }
        var merged = TopScores(capacity: keep)
        for heap in heaps.values { for (score, slot) in heap.items { merged.offer(score, slot) } }
        return merged.items.sorted { $0.0 > $1.0 }.map { (score: $0.0, slot: $0.1) }
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
