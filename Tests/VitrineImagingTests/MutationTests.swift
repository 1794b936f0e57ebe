import Foundation
import Testing
@testable import VitrineImaging
import VitrineTestSupport

/// Thousands of seeded random mutations of the good fixtures: each must come
/// back as an image or an ImagingError, promptly. A crash, a hang or an abort
/// fails the whole run.
@Suite("Robustness")
struct MutationTests {
    typealias Mutation = ByteMutation

    static func mutate(_ original: [UInt8], donor: [UInt8], with mutation: Mutation,
                       using rng: inout SeededGenerator) -> [UInt8] {
        mutation.apply(to: original, donor: donor, using: &rng)
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
