import ArgumentParser
import Foundation
import VitrineProbe

/// `vitrine-bench fuzz`: generated hostile requests (``RequestFuzzer``) against the
/// release server over sockets; every answer checked as the fuzz test checks it
/// (``FuzzVerdict``); the server must still answer and shut down cleanly at the end.
struct FuzzBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz", abstract: "100,000 generated hostile requests against the release server: no crash, no 5xx, every 4xx enveloped.")

    @Option(help: "Requests in all.") var requests = 100_000
    @Option(help: "Client threads (each with its own seed).") var clients = 2
    @Option(help: "The first seed.") var seed: UInt64 = 1

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else { throw ValidationError("run from inside the Vitrine repository") }
        var images: [[UInt8]] = []
        for folder in ["products/images", "images", "images/bad"] {
            let url = fixtures.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() where file.hasSuffix(".jpg") || file.hasSuffix(".png") {
                let bytes = try Data(contentsOf: url.appendingPathComponent(file))
                if bytes.count < 2_000_000 { images.append(Array(bytes)) }
            }
        }
        let key = "bench-fuzz-key"
        let server = try BenchServer(["--workers", "1", "--api-key", key, "--header-timeout", "1", "--catalog",
                                      fixtures.appendingPathComponent("catalog/catalog.csv").path])
        print("fuzz: \(requests) requests from \(clients) clients against \(BenchServer.binary) (port \(server.port)), seed \(seed)")
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var statuses: [Int: Int] = [:], problems: [String] = [], clientErrors = 0
        }
        let tally = Tally(), material = images, port = server.port
        let started = Date()
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread { [requests, clients, seed, material, port, tally] in
                defer { group.leave() }
                var fuzzer = RequestFuzzer(seed: seed &+ UInt64(client), images: material, apiKey: key)
                var local: [Int: Int] = [:], found: [String] = [], errors = 0
                for index in 0..<(requests / clients) {
                    let request = fuzzer.next()
                    do {
                        let response = try RawHTTP.send(port: port, request.bytes, timeout: request.kind == "garbage" ? 3 : 30,
                                                        headRequest: request.method == "HEAD")
                        local[response?.status ?? 0, default: 0] += 1
                        if let problem = FuzzVerdict.problem(response, to: request) {
                            found.append("\(FuzzVerdict.describe(request, index: index)) (client \(client)): \(problem)")
                        }
                    } catch {
                        errors += 1
                        found.append("\(FuzzVerdict.describe(request, index: index)) (client \(client)): \(error)")
                    }
                }
                tally.lock.lock()
                tally.statuses.merge(local, uniquingKeysWith: +)
                tally.problems += found
                tally.clientErrors += errors
                tally.lock.unlock()
            }.start()
        }
        group.wait()
        let statuses = tally.statuses, problems = tally.problems, clientErrors = tally.clientErrors
        let seconds = Date().timeIntervalSince(started)
        let alive = (try? RawHTTP.send(port: server.port, RawHTTP.request("GET", "/health")))??.status == 200
        let peak = server.peakKiB
        try server.stop()
        let total = statuses.values.reduce(0, +)
        print("  \(total) answered in \(Measure.format(seconds, 1)) s (\(Measure.format(Double(total) / seconds, 0)) req/s); by status: "
              + statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "closed" : String($0.key)): \($0.value)" }.joined(separator: ", "))
        print("  5xx: \(statuses.filter { $0.key >= 500 }.values.reduce(0, +)); problems: \(problems.count); client errors: \(clientErrors); server alive after: \(alive); server peak memory \(peak / 1024) MiB; clean shutdown: yes")
        for problem in problems.prefix(20) { print("  problem: \(problem)") }
        if !problems.isEmpty || !alive { throw ExitCode.failure }
    }
}
