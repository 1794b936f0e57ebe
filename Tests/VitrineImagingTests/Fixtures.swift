import Foundation
import Testing
@testable import VitrineImaging
import VitrineTestSupport

/// The repository's fixtures/ folder and the ground truth in fixtures/images/expected.json.
enum Fixtures {
    static var root: URL { Repository.fixtures }

    static var images: URL { root.appendingPathComponent("images") }

    static func path(_ name: String) -> String { images.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: images.appendingPathComponent(name)))
    }

    struct Point: Decodable, Sendable {
        var x: Int
        var y: Int
        var rgb: [Int]
    }

    /// One row of expected.json: either an image's facts or the error code it must give.
    struct Expectation: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var format: String?
        var width: Int?
        var height: Int?
        var orientation: Int?
        var tolerance: Int?
        var points: [Point]?
        var error: String?

        var testDescription: String { file }
    }

    private struct Manifest: Decodable {
        var fixtures: [Expectation]
    }

    static let expectations: [Expectation] = {
        do {
            let data = try Data(contentsOf: images.appendingPathComponent("expected.json"))
            return try JSONDecoder().decode(Manifest.self, from: data).fixtures
        } catch {
            fatalError("cannot read fixtures/images/expected.json: \(error)")
        }
    }()

    static var good: [Expectation] { expectations.filter { $0.error == nil } }
    static var bad: [Expectation] { expectations.filter { $0.error != nil } }
}
