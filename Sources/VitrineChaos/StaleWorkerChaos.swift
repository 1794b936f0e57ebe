import Foundation
import GRDB
import VitrineCatalog
import VitrineProbe
import VitrineStore

/// A worker stopped past its lease: SIGSTOP while it holds jobs, another
/// worker takes them over and finishes them, then SIGCONT — the stale worker
/// finishes its batch, and its completions must write nothing.
public enum StaleWorkerChaos {
    /// How often.
    public struct Configuration: Sendable {
        /// Rounds (each on a fresh database).
        public var rounds = 10
        /// Jobs per round.
        public var jobs = 400
        /// The lease, seconds.
        public var lease: Double = 1

        /// The defaults (the full run).
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Rounds carried out, and jobs held by the stopped worker in all.
        public var rounds = 0, heldJobs = 0
        /// Stale completions the worker reported discarding.
        public var discarded = 0
        /// Products the stale worker changed after the other worker had finished them.
        public var overwritten = 0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            "stale worker: \(rounds) rounds, \(heldJobs) jobs held by a SIGSTOPped worker and finished by another; \(discarded) stale completions discarded, \(overwritten) products overwritten"
        }
    }

    /// Runs it.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> Report {
        var report = Report()
        var random = SeededGenerator(state: setup.seed)
        var attempts = 0
        while report.rounds < configuration.rounds && attempts < configuration.rounds * 5 {
            attempts += 1
            let db = setup.folder.appendingPathComponent("chaos-stale-\(attempts).sqlite").path
            let store = try SQLiteProductStore(path: db)
            let queue = SQLiteJobQueue(store: store)
            _ = try queue.enqueue((0..<configuration.jobs).map { index in
                let image = setup.images[index % setup.images.count]
                return Upload(fields: ProductFields(productID: "s\(index)", name: "Produit \(index)"), image: image,
                              imageDigest: Digest.sha256(image))
            }, maxAttempts: 5)
            func worker(_ id: String) throws -> ChildProcess {
                try ChildProcess(setup.binary, ["worker", "--worker-id", id, "--db", db, "--lease", String(configuration.lease),
                                                "--model", setup.model.path],
                                 log: setup.folder.appendingPathComponent("stale-\(attempts)-\(id).log"))
            }
            let reader = try DatabaseQueue(path: db)
            func held(by id: String) throws -> [String] {
                try reader.read { db in
                    try String.fetchAll(db, sql: "SELECT id FROM job WHERE status = 'processing' AND worker_id = ?", arguments: [id])
                }
            }
            let stale = try worker("stale")
            defer { stale.killNow() }
            _ = try ChaosSetup.waitFor(60) { (try queue.counts()[.succeeded] ?? 0) >= 10 }
            // Stop it while it holds a batch (it nearly always does while the backlog lasts).
            var jobs: [String] = []
            for _ in 0..<50 {
                stale.send(SIGSTOP)
                jobs = try held(by: "stale")
                if !jobs.isEmpty { break }
                stale.send(SIGCONT)
                usleep(UInt32.random(in: 2_000...20_000, using: &random))
            }
            guard !jobs.isEmpty else { continue }
            let other = try worker("other")
            defer { other.killNow() }
            let takenOver = try ChaosSetup.waitFor(configuration.lease + 30) {
                try reader.read { db in
                    try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM job WHERE id IN (\(jobs.map { "'\($0)'" }.joined(separator: ","))) AND status = 'succeeded' AND worker_id = 'other'
                        """) ?? 0
                } == jobs.count
            }
            // Stopped inside a write transaction, it holds the lock and nobody can take over: try another round.
            guard takenOver else { log("round \(attempts): the stopped worker held the write lock; again"); continue }
            func snapshot() throws -> [Row] {
                try reader.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT product_id, applied_seq, updated_at, fused FROM product
                        WHERE product_id IN (SELECT product_id FROM job WHERE id IN (\(jobs.map { "'\($0)'" }.joined(separator: ","))))
                        ORDER BY product_id
                        """)
                }
            }
            let before = try snapshot()
            stale.send(SIGCONT)
            let reported = ChaosSetup.waitFor(30) {
                let text = stale.log
                return jobs.allSatisfy { text.contains("job \($0): its lease") }
            }
            let after = try snapshot()
            report.rounds += 1
            report.heldJobs += jobs.count
            let text = stale.log
            report.discarded += jobs.filter { text.contains("job \($0): its lease") }.count
            if !reported { report.problems.append("round \(report.rounds): the stale worker did not report all \(jobs.count) discarded completions") }
            if before != after || before.count != jobs.count {
                report.overwritten += max(1, zip(before, after).filter { $0 != $1 }.count)
                report.problems.append("round \(report.rounds): products changed after the stale worker resumed")
            }
            let owners = try reader.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT worker_id FROM job WHERE id IN (\(jobs.map { "'\($0)'" }.joined(separator: ",")))")
            }
            if owners != ["other"] { report.problems.append("round \(report.rounds): jobs now show workers \(owners)") }
            for process in [stale, other] {
                process.send(SIGTERM)
                if !process.wait(timeout: 30) || !process.exitedCleanly {
                    report.problems.append("round \(report.rounds): a worker did not stop cleanly (\(process.ending))")
                }
            }
            log("round \(report.rounds): \(jobs.count) jobs held, taken over, stale completions discarded")
        }
        if report.rounds < configuration.rounds {
            report.problems.append("only \(report.rounds) of \(configuration.rounds) rounds could be carried out")
        }
        return report
    }
}
