/// The ways a file is damaged on purpose (image robustness tests, the request fuzzer).
public enum ByteMutation: CaseIterable, Sendable {
    /// A few flipped bits.
    case bitFlips
    /// A run of one byte or of random bytes.
    case byteRuns
    /// The file cut short.
    case truncation
    /// The head of the file on the body of another.
    case spliceHeader
    /// A range repeated.
    case duplicateRange
    /// A range removed.
    case deleteRange
    /// JPEG markers and PNG chunk names dropped at random places.
    case markerStorm

    /// `original` damaged this way (`donor`: another file, for splices).
    public func apply(to original: [UInt8], donor: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        guard bytes.count > 4 else { return bytes }
        switch self {
        case .bitFlips:
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
        case .byteRuns:
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            let length = min(Int.random(in: 1...64, using: &rng), bytes.count - start)
            let fill = [UInt8(0x00), 0xFF, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)!
            for index in start..<(start + length) {
                bytes[index] = Bool.random(using: &rng) ? fill : UInt8.random(in: 0...255, using: &rng)
            }
        case .truncation:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
        case .spliceHeader:
            // The head of one file on the body of another.
            let cut = Int.random(in: 1..<min(bytes.count, 400), using: &rng)
            let donorCut = Int.random(in: 0...donor.count, using: &rng)
            bytes = Array(bytes.prefix(cut)) + Array(donor.suffix(from: donorCut))
        case .duplicateRange:
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            let length = min(Int.random(in: 1...512, using: &rng), bytes.count - start)
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: Int.random(in: 0...bytes.count, using: &rng))
        case .deleteRange:
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            let length = min(Int.random(in: 1...256, using: &rng), bytes.count - start)
            bytes.removeSubrange(start..<(start + length))
        case .markerStorm:
            // JPEG markers and PNG chunk names dropped at random places.
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let index = Int.random(in: 0..<(bytes.count - 1), using: &rng)
                if Bool.random(using: &rng) {
                    bytes[index] = 0xFF
                    bytes[index + 1] = [0xC0, 0xC2, 0xC4, 0xD0, 0xD9, 0xDA, 0xDB, 0xDD, 0xE1].randomElement(using: &rng)!
                } else if index + 4 < bytes.count {
                    let name = ["IHDR", "IDAT", "IEND", "PLTE", "tRNS", "eXIf"].randomElement(using: &rng)!
                    bytes.replaceSubrange(index..<(index + 4), with: Array(name.utf8))
                }
            }
        }
        return bytes
    }
}
