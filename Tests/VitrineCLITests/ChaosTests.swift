import Foundation
import Testing
import VitrineChaos
import VitrineTestSupport

/// The crash and race runs of `vitrine-bench chaos`, smaller, against the real `vitrine` binary.
@Suite("Chaos: crashes, kills and stale workers", .serialized)
struct ChaosTests {
    /// A setup in a fresh folder with the fixture variants as upload material.
    static func setup() throws -> ChaosSetup {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-chaos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let variants = Repository.fixtures.appendingPathComponent("products/variants")
        let images = try FileManager.default.contentsOfDirectory(atPath: variants.path).sorted().filter { $0.hasSuffix(".jpg") }
            .map { try Data(contentsOf: variants.appendingPathComponent($0)) }
        return ChaosSetup(binary: ProcessRunner.binary, model: Repository.root.appendingPathComponent("models/vitrine-clip-v3.json"),
                          folder: folder, images: images)
    }

    /// Runs `body` with a fresh setup, its folder removed afterwards — on threads of its own: a
    /// run waits for seconds at a time, and the cooperative pool belongs to in-process servers of
    /// tests running meanwhile.
    static func withSetup(_ body: (ChaosSetup) throws -> Void) async throws {
        let setup = try setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try await onOwnThreads { try body(setup) }
    }

    static func check(_ summary: String, _ problems: [String]) {
        print(summary)
        #expect(problems.isEmpty, "\(summary)\n\(problems.joined(separator: "\n"))")
    }

    @Test("workers: 3 worker processes, one SIGKILLed again and again; every job succeeds, newest writes stored once, jobs taken over")
    func workers() async throws {
        try await Self.withSetup { setup in
            var configuration = WorkerChaos.Configuration()
            configuration.jobs = 800
            configuration.minimumKills = 10
            configuration.killEvery = 0.3...0.9
            configuration.lease = 2 // 1 s: a starved live worker under a fully loaded CI run lost its lease until jobs ran out of attempts
            configuration.vectorChecks = 40
            configuration.timeout = 240
            let report = try WorkerChaos.run(setup, configuration)
            Self.check(report.summary, report.problems)
            #expect(report.kills >= 10 && report.takenOver > 0 && report.lost == 0 && report.duplicates == 0 && report.stale == 0)
            #expect(!report.recoveries.isEmpty && !report.leaseRecoveries.isEmpty)
            #expect(report.leaseRecoveries.allSatisfy { $0 < configuration.lease + 5 }, "taken over once the lease runs out")
            #expect(report.recoveries.allSatisfy { $0 < 10 }, "a restarted worker takes its jobs back as it starts")
        }
    }

    @Test("server: SIGKILLed while writes and uploads arrive; every 200 and 202 is stored, nothing never sent")
    func server() async throws {
        try await Self.withSetup { setup in
            var configuration = ServerChaos.Configuration()
            configuration.clients = 4
            configuration.kills = 4
            configuration.upFor = 1...2
            configuration.drainTimeout = 120
            let report = try ServerChaos.run(setup, configuration)
            Self.check(report.summary, report.problems)
            #expect(report.acknowledgedWrites > 0 && report.acknowledgedUploads > 0 && report.lost == 0)
        }
    }

    @Test("writer: index-catalog SIGKILLed at random moments; integrity_check ok and every reported batch stored, each time")
    func writer() async throws {
        try await Self.withSetup { setup in
            var configuration = WriterChaos.Configuration()
            configuration.kills = 25
            configuration.rows = 1_500
            configuration.imageRows = 100
            // Up to 3 s: on a loaded machine a run can take 1.5 s to report its first batch.
            configuration.killAfter = 0.1...3.0
            configuration.timeout = 240
            let report = try WriterChaos.run(setup, configuration)
            Self.check(report.summary, report.problems)
            #expect(report.kills >= 25 && report.corrupt == 0 && report.missing == 0 && report.reportedBatches > 0)
        }
    }

    @Test("a worker SIGSTOPped past its lease: another finishes its jobs; resumed, its completions write nothing")
    func staleWorker() async throws {
        try await Self.withSetup { setup in
            var configuration = StaleWorkerChaos.Configuration()
            configuration.rounds = 2
            configuration.jobs = 300
            let report = try StaleWorkerChaos.run(setup, configuration)
            Self.check(report.summary, report.problems)
            #expect(report.heldJobs > 0 && report.discarded == report.heldJobs && report.overwritten == 0)
        }
    }

    @Test("SIGTERM under load: in-flight requests answered, nothing unanswered stored, no job left processing or charged an attempt")
    func shutdown() async throws {
        try await Self.withSetup { setup in
            var configuration = ShutdownChaos.Configuration()
            configuration.rounds = 2
            configuration.clients = 4
            let report = try ShutdownChaos.run(setup, configuration)
            Self.check(report.summary, report.problems)
            #expect(report.cleanExits == 2 && report.answeredDuringShutdown > 0 && report.unansweredStored == 0 && report.leftProcessing == 0)
        }
    }
}
