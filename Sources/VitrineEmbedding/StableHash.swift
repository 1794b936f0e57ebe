/// FNV-1a, 64-bit: a stable hash (Swift's `Hasher` is seeded per process, so
/// it cannot name a feature bucket that must be the same on every run).
struct StableHash {
    private(set) var value: UInt64

    /// Starts a hash; `kind` separates feature families (words, bigrams, character grams).
    init(kind: UInt8) {
        value = 0xCBF2_9CE4_8422_2325
        combine(kind)
    }

    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Mixes a Unicode scalar value in (four bytes, little-endian).
    mutating func combine(scalar: UInt32) {
        combine(UInt8(truncatingIfNeeded: scalar))
        combine(UInt8(truncatingIfNeeded: scalar >> 8))
        combine(UInt8(truncatingIfNeeded: scalar >> 16))
        combine(UInt8(truncatingIfNeeded: scalar >> 24))
    }

    /// A final avalanche (from MurmurHash3's fmix64) so low bits are well mixed for bucketing.
    var finalized: UInt64 {
        var h = value
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
