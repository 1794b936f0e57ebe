/// A stable 64-bit hash of Unicode scalars (Swift's `Hasher` is seeded per
/// process, so it cannot name a feature bucket that must be the same on every
/// run): one multiply per scalar, then MurmurHash3's finaliser.
struct StableHash {
    private(set) var value: UInt64

    /// Starts a hash; `kind` separates feature families (words, bigrams, character grams).
    init(kind: UInt8) {
        value = 0xCBF2_9CE4_8422_2325 ^ (UInt64(kind) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Mixes one byte in.
    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Mixes a Unicode scalar value in.
    @inline(__always)
    mutating func combine(scalar: UInt32) {
        value = (value ^ UInt64(scalar)) &* 0x0000_0100_0000_01B3
    }

    /// The hash of a whole token.
    static func token(_ scalars: [UInt32], kind: UInt8) -> UInt64 {
        var hash = StableHash(kind: kind)
        for scalar in scalars { hash.combine(scalar: scalar) }
        return hash.finalized
    }

    /// The hash of a word given as a string (for the fixed word lists).
    static func word(_ text: String, kind: UInt8 = 1) -> UInt64 {
        token(text.unicodeScalars.map(\.value), kind: kind)
    }

    /// A final avalanche (MurmurHash3's fmix64) so low bits are well mixed for bucketing.
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
