/// A set of slots as bits (one UInt64 word per 64 slots): what a filter evaluates to, and the
/// dense form of a ``SlotSet``. Grows on insert; set operations work word by word.
struct Bitset: Sendable, Equatable {
    private(set) var words: [UInt64]

    /// An empty set with room for `capacity` slots.
    init(capacity: Int) {
        words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
    }

    /// Every slot below `capacity`.
    static func full(_ capacity: Int) -> Bitset {
        var set = Bitset(capacity: capacity)
        for index in set.words.indices { set.words[index] = ~0 }
        if capacity % 64 != 0, !set.words.isEmpty { set.words[set.words.count - 1] = (1 << UInt64(capacity % 64)) - 1 }
        return set
    }

    @inline(__always)
    func contains(_ slot: Int) -> Bool {
        let word = slot >> 6
        return word < words.count && words[word] & (1 << UInt64(slot & 63)) != 0
    }

    @inline(__always)
    mutating func insert(_ slot: Int) {
        let word = slot >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(slot & 63)
    }

    @inline(__always)
    mutating func remove(_ slot: Int) {
        let word = slot >> 6
        if word < words.count { words[word] &= ~(1 << UInt64(slot & 63)) }
    }

    /// How many slots are in the set.
    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Whether no slot is.
    var isEmpty: Bool { !words.contains { $0 != 0 } }

    mutating func formUnion(_ other: Bitset) {
        if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
        for index in other.words.indices { words[index] |= other.words[index] }
    }

    mutating func formIntersection(_ other: Bitset) {
        for index in words.indices { words[index] &= index < other.words.count ? other.words[index] : 0 }
    }

    mutating func subtract(_ other: Bitset) {
        for index in 0..<min(words.count, other.words.count) { words[index] &= ~other.words[index] }
    }

    /// How many slots both sets hold.
    func intersectionCount(_ other: Bitset) -> Int {
        var total = 0
        for index in 0..<min(words.count, other.words.count) { total += (words[index] & other.words[index]).nonzeroBitCount }
        return total
    }

    /// Calls `body` with each slot, in increasing order.
    func forEach(_ body: (Int) -> Void) {
        for (index, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                body(index << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }

    /// The slots, in increasing order.
    var slots: [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(count)
        forEach { result.append(Int32($0)) }
        return result
    }
}

/// The slots holding one attribute value (a posting list): a sorted array while few, bits once
/// many (more than ``denseAbove`` and a 32nd of the slots), so a value that half the catalogue has
/// costs a bit a product and a rare one a few bytes.
struct SlotSet: Sendable {
    private var sparse: [Int32] = []
    private var dense: Bitset?
    private(set) var count = 0

    /// Below this many slots a set stays sparse.
    static let denseAbove = 1_024

    var isEmpty: Bool { count == 0 }

    mutating func insert(_ slot: Int32, capacity: Int) {
        if dense != nil {
            if !dense!.contains(Int(slot)) { dense!.insert(Int(slot)); count += 1 }
            return
        }
        let at = Self.position(of: slot, in: sparse)
        guard at == sparse.count || sparse[at] != slot else { return }
        sparse.insert(slot, at: at)
        count += 1
        if count > Self.denseAbove && count * 32 > capacity {
            var bits = Bitset(capacity: capacity)
            for slot in sparse { bits.insert(Int(slot)) }
            dense = bits
            sparse = []
        }
    }

    mutating func remove(_ slot: Int32) {
        if dense != nil {
            if dense!.contains(Int(slot)) { dense!.remove(Int(slot)); count -= 1 }
            return
        }
        let at = Self.position(of: slot, in: sparse)
        guard at < sparse.count, sparse[at] == slot else { return }
        sparse.remove(at: at)
        count -= 1
    }

    /// Adds its slots to `bits`.
    func add(to bits: inout Bitset) {
        if let dense { bits.formUnion(dense) } else { for slot in sparse { bits.insert(Int(slot)) } }
    }

    /// How many of its slots `bits` holds.
    func count(in bits: Bitset) -> Int {
        if let dense { return dense.intersectionCount(bits) }
        var total = 0
        for slot in sparse where bits.contains(Int(slot)) { total += 1 }
        return total
    }

    private static func position(of slot: Int32, in sorted: [Int32]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < slot { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
