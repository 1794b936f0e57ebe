import Foundation
import Testing
import VitrineImaging
import VitrineTestSupport

/// `vitrine inspect`, run as a real process over the fixtures.
@Suite("vitrine inspect", .onOwnThreads)
struct InspectCommandTests {
    static var fixtures: URL { Repository.images }

    struct Expected: Decodable {
        var file: String
        var format: String?
        var width: Int?
        var height: Int?
        var orientation: Int?
        var error: String?
    }

    static let expected: [Expected] = {
        struct Manifest: Decodable { var fixtures: [Expected] }
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data).fixtures
    }()

    private func parse(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("every fixture gets its documented line, in order; exit status 1 because some are bad")
    func allFixtures() throws {
        let paths = Self.expected.map { Self.fixtures.appendingPathComponent($0.file).path }
        let outcome = try ProcessRunner.run(["inspect"] + paths)
        #expect(outcome.exitedNormally)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.isEmpty, "codecs must not print: \(outcome.stderr)")
        try #require(outcome.lines.count == paths.count)
        for (line, (path, expected)) in zip(outcome.lines, zip(paths, Self.expected)) {
            let object = try parse(line)
            #expect(object["file"] as? String == path)
            if let code = expected.error {
                let error = try #require(object["error"] as? [String: Any], "\(expected.file): \(line)")
                #expect(error["code"] as? String == code, "\(expected.file)")
                #expect((error["message"] as? String)?.isEmpty == false)
                #expect(object["format"] == nil)
            } else {
                #expect(object["format"] as? String == expected.format, "\(expected.file)")
                #expect(object["width"] as? Int == expected.width, "\(expected.file)")
                #expect(object["height"] as? Int == expected.height, "\(expected.file)")
                #expect(object["orientation"] as? Int == expected.orientation, "\(expected.file)")
            }
        }
    }

    @Test("exit status 0 when every file decodes; keys in the documented order")
    func goodOnly() throws {
        let good = Self.expected.filter { $0.error == nil }.map { Self.fixtures.appendingPathComponent($0.file).path }
        let outcome = try ProcessRunner.run(["inspect"] + good)
        #expect(outcome.exitedNormally && outcome.status == 0)
        #expect(outcome.lines.count == good.count)
        let first = try #require(outcome.lines.first)
        #expect(first.hasPrefix("{\"file\":"))
        #expect(first.range(of: #""format":"(jpeg|png)","width":\d+,"height":\d+,"orientation":\d"#, options: .regularExpression) != nil)
    }

    @Test("missing files and directories are reported as unreadable, and the rest still run")
    func unreadable() throws {
        let good = Self.fixtures.appendingPathComponent("rgb8.png").path
        let outcome = try ProcessRunner.run(["inspect", "/no/such/file.png", Self.fixtures.path, good])
        #expect(outcome.exitedNormally && outcome.status == 1)
        try #require(outcome.lines.count == 3)
        #expect(outcome.lines[0].contains(#""code":"unreadable""#))
        #expect(outcome.lines[1].contains(#""code":"unreadable""#))
        #expect(outcome.lines[2].contains(#""format":"png""#))
    }

    @Test("whatever the bytes, inspect ends by itself with 0 or 1")
    func arbitraryBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SeededGenerator(state: 2026)
        let seeds = try ["texture-256x192.jpg", "progressive-420.jpg", "texture-256x192.png", "adam7-rgb8.png"]
            .map { try Data(contentsOf: Self.fixtures.appendingPathComponent($0)) }
        var paths: [String] = []
        for index in 0..<200 {
            var bytes = [UInt8](seeds[index % seeds.count])
            if index % 10 == 0 {
                bytes = (0..<Int.random(in: 0...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                for _ in 0..<Int.random(in: 1...20, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                if index % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
            }
            let url = folder.appendingPathComponent("sample-\(index).jpg")
            try Data(bytes).write(to: url)
            paths.append(url.path)
        }
        let outcome = try ProcessRunner.run(["inspect"] + paths, timeout: 120)
        #expect(outcome.exitedNormally, "inspect must exit by itself, not by a signal or a timeout")
        #expect(outcome.status == 0 || outcome.status == 1)
        #expect(outcome.lines.count == paths.count)
        #expect(outcome.stderr.isEmpty)
    }

    @Test("the limits are flags")
    func limitFlags() throws {
        let file = Self.fixtures.appendingPathComponent("texture-256x192.png").path
        let outcome = try ProcessRunner.run(["inspect", "--max-side", "100", file])
        #expect(outcome.exitedNormally && outcome.status == 1)
        #expect(outcome.stdout.contains(#""code":"too_large""#))
        let invalid = try ProcessRunner.run(["inspect", "--max-side", "0", file])
        #expect(invalid.exitedNormally && invalid.status != 0)
        #expect(invalid.stderr.contains("positive"))
    }
}
