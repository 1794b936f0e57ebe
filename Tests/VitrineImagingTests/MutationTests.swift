import Foundation
import Testing
@testable import VitrineImaging
import VitrineTestSupport

/// Thousands of seeded random mutations of the good fixtures: each must come
/// back as an image or an ImagingError, promptly. A crash, a hang or an abort
/// fails the whole run.
@Suite("Robustness")
struct MutationTests {
    enum Mutation: CaseIterable {
        case bitFlips, byteRuns, truncation, spliceHeader, duplicateRange, deleteRange, markerStorm
    }

    static func mutate(_ original: [UInt8], donor: [UInt8], with mutation: Mutation,
                       using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        guard bytes.count > 4 else { return bytes }
        switch mutation {
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
            let donorCut = Int.random(in: 0..<donor.count, using: &rng)
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

    @Test("seeded mutations of every good fixture give an image or an error, promptly")
    func mutations() throws {
        let originals = try Fixtures.good.map { try Fixtures.bytes($0.file) }
        var rng = SeededGenerator(state: 0x5EED_2026)
        let decoder = ImageDecoder()
        let clock = ContinuousClock()
        let perFixture = 60
        var decoded = 0, refused = 0
        var slowest: Duration = .zero
        var codes: [ImagingError.Code: Int] = [:]
        for (index, original) in originals.enumerated() {
            for round in 0..<perFixture {
                let mutation = Mutation.allCases[round % Mutation.allCases.count]
                let donor = originals[(index + round + 1) % originals.count]
                let bytes = Self.mutate(original, donor: donor, with: mutation, using: &rng)
                let started = clock.now
                do throws(ImagingError) {
                    let image = try decoder.decode(bytes, targetSize: round.isMultiple(of: 3) ? 16 : nil)
                    #expect(image.pixels.pixels.count == image.pixels.width * image.pixels.height * 3)
                    decoded += 1
                } catch {
                    #expect(!error.message.isEmpty)
                    codes[error.code, default: 0] += 1
                    refused += 1
                }
                slowest = max(slowest, clock.now - started)
            }
        }
        #expect(decoded + refused == originals.count * perFixture)
        #expect(decoded + refused >= 3_000, "thousands of mutations")
        #expect(refused > 0 && decoded > 0)
        #expect(slowest < .seconds(2), "slowest mutation took \(slowest)")
        print("mutations: \(decoded) decoded, \(refused) refused \(codes), slowest \(slowest)")
    }
}
