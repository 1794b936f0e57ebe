import Foundation
import Testing
import VitrineTestSupport

/// `vitrine embed` and `vitrine model`, run as real processes from the repository root.
@Suite("vitrine embed and vitrine model", .onOwnThreads)
struct EmbedCommandTests {
    static var repository: URL { Repository.root }

    static func run(_ arguments: [String]) throws -> ProcessRunner.Outcome {
        try ProcessRunner.run(arguments, directory: repository)
    }

    private func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("one line per image, in order, with the model id and 512 unit-length values; a bad file is reported and exits 1")
    func images() throws {
        let files = ["fixtures/products/images/p01.jpg", "fixtures/images/bad/truncated-50.jpg",
                     "fixtures/products/images/p02.jpg", "fixtures/products/variants/p01--flip.jpg"]
        let outcome = try Self.run(["embed"] + files)
        #expect(outcome.exitedNormally && outcome.status == 1)
        try #require(outcome.lines.count == files.count, "\(outcome.stderr)")
        var vectors: [[Double]] = []
        for (line, file) in zip(outcome.lines, files) {
            let object = try object(line)
            #expect(object["file"] as? String == file)
            if file.contains("truncated") {
                let error = try #require(object["error"] as? [String: Any])
                #expect(error["code"] as? String == "truncated")
                continue
            }
            #expect(object["model"] as? String == "vitrine-clip@3")
            #expect(object["dimension"] as? Int == 512)
            let vector = try #require(object["vector"] as? [Double])
            #expect(vector.count == 512)
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
            vectors.append(vector)
        }
        // The flipped photo is the same product: its vector is the original's, near enough.
        let cosine = zip(vectors[0], vectors[2]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(cosine > 0.97, "flip vs original: \(cosine)")
    }

    @Test("--text alone prints the text vector; with images, the fused vector")
    func text() throws {
        let alone = try Self.run(["embed", "--text", "Robe d'été rouge"])
        #expect(alone.exitedNormally && alone.status == 0)
        let textLine = try object(try #require(alone.lines.first))
        #expect(textLine["text"] as? String == "Robe d'été rouge")
        let textVector = try #require(textLine["vector"] as? [Double])

        let image = try Self.run(["embed", "fixtures/products/images/p12.jpg"])
        let imageLine = try object(try #require(image.lines.first))
        let imageVector = try #require(imageLine["vector"] as? [Double])
        let fused = try Self.run(["embed", "fixtures/products/images/p12.jpg", "--text", "Robe d'été rouge"])
        #expect(fused.exitedNormally && fused.status == 0)
        let fusedLine = try object(try #require(fused.lines.first))
        let fusedVector = try #require(fusedLine["vector"] as? [Double])
        // fused = normalise(0.5·image + 0.5·text)
        var expected = zip(imageVector, textVector).map { 0.5 * $0 + 0.5 * $1 }
        let norm = expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
        expected = expected.map { $0 / norm }
        let worst = zip(expected, fusedVector).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5)
    }

    @Test("many files run in parallel and come out in order, identical to one at a time")
    func parallelOrder() throws {
        let variants = try FileManager.default.contentsOfDirectory(
            atPath: Self.repository.appendingPathComponent("fixtures/products/variants").path).sorted().prefix(40)
        let files = variants.map { "fixtures/products/variants/\($0)" }
        let parallel = try Self.run(["embed", "--jobs", "4"] + files)
        let serial = try Self.run(["embed", "--jobs", "1"] + files)
        #expect(parallel.exitedNormally && parallel.status == 0)
        #expect(parallel.lines == serial.lines)
        #expect(parallel.lines.count == files.count)
    }

    @Test("--files-from reads the image list from a file or standard input, after the arguments; an unreadable or empty list is an error")
    func filesFrom() throws {
        let files = ["fixtures/products/images/p01.jpg", "fixtures/products/images/p02.jpg", "fixtures/products/variants/p01--flip.jpg"]
        let direct = try Self.run(["embed"] + files)
        try #require(direct.exitedNormally && direct.status == 0, "\(direct.stderr)")
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-list-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: list) }
        try (files.dropFirst().joined(separator: "\n") + "\n\n").write(to: list, atomically: true, encoding: .utf8)
        let listed = try Self.run(["embed", files[0], "--files-from", list.path])
        #expect(listed.exitedNormally && listed.status == 0, "\(listed.stderr)")
        #expect(listed.lines == direct.lines)
        let piped = try ProcessRunner.run(["embed", "--files-from", "-"], directory: Self.repository,
                                          input: Data(files.joined(separator: "\n").utf8))
        #expect(piped.lines == direct.lines, "\(piped.stderr)")
        let missing = try Self.run(["embed", "--files-from", "/no/such/list.txt"])
        #expect(missing.exitedNormally && missing.status == 1)
        #expect(missing.stderr.contains("/no/such/list.txt"))
        try "\n".write(to: list, atomically: true, encoding: .utf8)
        let empty = try Self.run(["embed", "--files-from", list.path])
        #expect(empty.exitedNormally && empty.status == 1)
        #expect(empty.stderr.contains("names no image files"))
    }

    @Test("bad arguments and a missing model are clear errors with a non-zero status")
    func errors() throws {
        let nothing = try Self.run(["embed"])
        #expect(nothing.exitedNormally && nothing.status != 0)
        #expect(nothing.stderr.contains("--text"))
        let noModel = try Self.run(["embed", "--model", "/no/such/model.json", "--text", "robe"])
        #expect(noModel.exitedNormally && noModel.status == 1)
        #expect(noModel.stderr.contains("/no/such/model.json"))
    }

    @Test("model verify passes on the committed weights and fails clearly on an altered copy")
    func verify() throws {
        let ok = try Self.run(["model", "verify"])
        #expect(ok.exitedNormally && ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("ok: vitrine-clip@3"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let generated = try Self.run(["model", "generate", "--output", folder.path])
        #expect(generated.exitedNormally && generated.status == 0)
        // Generated from the default seed: the same bytes as the committed files.
        for name in ["vitrine-clip-v3.bin", "vitrine-clip-v3.json"] {
            let mine = try Data(contentsOf: folder.appendingPathComponent(name))
            let committed = try Data(contentsOf: Self.repository.appendingPathComponent("models/\(name)"))
            #expect(mine == committed, "\(name) differs from the committed file")
        }
        let weights = folder.appendingPathComponent("vitrine-clip-v3.bin")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: weights)
        let bad = try Self.run(["model", "verify", "--model", folder.appendingPathComponent("vitrine-clip-v3.json").path])
        #expect(bad.exitedNormally && bad.status == 1)
        #expect(bad.stderr.contains("SHA-256"))
    }
}
