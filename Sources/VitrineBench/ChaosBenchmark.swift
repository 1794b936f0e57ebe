import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineChaos
import VitrineEmbedding

/// `vitrine-bench chaos`: the full crash and race runs against the release
/// `vitrine` (the tests run the same code, smaller). Prints each run's figures;
/// exits 1 if any run found a problem.
struct ChaosBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Kill workers, the server and a writer again and again; stop a worker past its lease; SIGTERM under load.")

    enum Run: String, ExpressibleByArgument, CaseIterable {
        case workers, server, writer, stale, shutdown, all
    }

    @Argument(help: "Which run: workers, server, writer, stale, shutdown or all.") var which: Run = .all
    @Option(help: "Worker run: jobs.") var jobs = 10_000
    @Option(help: "Worker run: kills at least.") var workerKills = 50
    @Option(help: "Worker run: the lease, seconds.") var lease = JobWorker.defaultLease
    @Option(help: "Server run: kills.") var serverKills = 10
    @Option(help: "Writer run: kills.") var writerKills = 200
    @Option(help: "The seed of the kill times and victims.") var seed: UInt64 = 11
    @Option(help: "A folder of upload material (JPEG and PNG files; default: the fixtures' product variants). Real photos: bash fixtures/tools/fetch-real-photos.sh DIR.")
    var images: String?

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else { throw ValidationError("run from inside the Vitrine repository") }
        let source = images.map { URL(fileURLWithPath: $0) } ?? fixtures.appendingPathComponent("products/variants")
        let material = try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
            .filter { name in [".jpg", ".jpeg", ".png"].contains { name.lowercased().hasSuffix($0) } }
            .map { try Data(contentsOf: source.appendingPathComponent($0)) }
        guard !material.isEmpty else { throw ValidationError("no JPEG or PNG files in \(source.path)") }
        print("chaos: \(material.count) upload images from \(source.path)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-chaos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = fixtures.deletingLastPathComponent().appendingPathComponent("models/\(ModelSpec.fileStem).json")
        let setup = ChaosSetup(binary: URL(fileURLWithPath: BenchServer.binary), model: model, folder: folder, images: material, seed: seed)
        let say: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        var problems: [String] = []
        func report(_ summary: String, _ found: [String]) {
            print(summary)
            for problem in found { print("  PROBLEM: \(problem)") }
            problems += found
        }
        if which == .workers || which == .all {
            var configuration = WorkerChaos.Configuration()
            configuration.jobs = jobs
            configuration.minimumKills = workerKills
            configuration.lease = lease
            let result = try WorkerChaos.run(setup, configuration, log: say)
            report(result.summary + " (lease \(lease) s)", result.problems)
        }
        if which == .server || which == .all {
            var configuration = ServerChaos.Configuration()
            configuration.kills = serverKills
            let result = try ServerChaos.run(setup, configuration, log: say)
            report(result.summary, result.problems)
        }
        if which == .writer || which == .all {
            var configuration = WriterChaos.Configuration()
            configuration.kills = writerKills
            let result = try WriterChaos.run(setup, configuration, log: say)
            report(result.summary, result.problems)
        }
        if which == .stale || which == .all {
            let result = try StaleWorkerChaos.run(setup, StaleWorkerChaos.Configuration(), log: say)
            report(result.summary, result.problems)
        }
        if which == .shutdown || which == .all {
            let result = try ShutdownChaos.run(setup, ShutdownChaos.Configuration(), log: say)
            report(result.summary, result.problems)
        }
        if !problems.isEmpty { throw ExitCode.failure }
    }
}
