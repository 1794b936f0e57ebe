import ArgumentParser
import Foundation

/// End-to-end `vitrine index-catalog` of the benchmark catalogue (made by
/// fixtures/tools/make-bench-catalog.sh, not committed): the real release
/// binary in a child process, timed, with its peak memory from wait4.
struct IndexBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Time vitrine index-catalog (fresh, then re-run) with peak memory; median of several runs.")

    @Option(help: "The catalogue (default /tmp/vitrine-bench-catalog/catalog.csv).")
    var catalog = "/tmp/vitrine-bench-catalog/catalog.csv"

    @Option(help: "Runs; the median is printed.")
    var runs = 3

    func run() throws {
        guard FileManager.default.fileExists(atPath: catalog) else {
            throw ValidationError("\(catalog) is missing: run `bash fixtures/tools/make-bench-catalog.sh` first")
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vitrine").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("\(binary) is missing: build it with `swift build -c release`")
        }
        let rows = try String(contentsOfFile: catalog, encoding: .utf8).split(separator: "\n").count - 1
        print("index benchmark: \(rows) products from \(catalog), \(binary), median of \(runs) runs, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        var fresh: [(Double, Int)] = [], again: [(Double, Int)] = []
        for _ in 0..<runs {
            let db = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-bench-\(UUID().uuidString).sqlite").path
            defer { for suffix in ["", "-wal", "-shm", ".failures.jsonl"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            let arguments = ["index-catalog", catalog, "--db", db, "--json", "--failures", db + ".failures.jsonl"]
            fresh.append(try Self.measure(binary, arguments))
            again.append(try Self.measure(binary, arguments))
        }
        func median(_ values: [(Double, Int)]) -> (Double, Int) {
            (values.map(\.0).sorted()[values.count / 2], values.map(\.1).sorted()[values.count / 2])
        }
        let (freshSeconds, freshMemory) = median(fresh), (againSeconds, againMemory) = median(again)
        print("fresh index:  \(Measure.format(freshSeconds, 2)) s, \(Measure.format(Double(rows) / freshSeconds, 0)) products/s, peak memory \(freshMemory / 1024) MiB")
        print("re-run:       \(Measure.format(againSeconds, 2)) s (all unchanged), peak memory \(againMemory / 1024) MiB")
    }

    /// Wall seconds and peak resident memory (KiB) of one child process.
    static func measure(_ binary: String, _ arguments: [String]) throws -> (Double, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(process.processIdentifier, &status, 0, &usage)
        // A run that failed (exit status, or a signal) is not a figure.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw ValidationError("\(binary) \(arguments.joined(separator: " ")) failed (wait status \(status))")
        }
        return (Date().timeIntervalSince(started), Int(usage.ru_maxrss))
    }
}
