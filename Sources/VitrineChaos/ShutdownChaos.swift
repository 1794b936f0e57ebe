import Foundation
import GRDB
import VitrineProbe

/// SIGTERM under load: clients keep writing and uploading while `vitrine serve`
/// shuts down. Requests in flight are answered; a request that got no answer
/// had no effect; claimed jobs are finished or released without counting an
/// attempt; nothing is left `processing`.
public enum ShutdownChaos {
    /// How hard.
    public struct Configuration: Sendable {
        /// Rounds (SIGTERMs).
        public var rounds = 5
        /// Concurrent clients.
        public var clients = 8
        /// Seconds of load before each SIGTERM.
        public var loadSeconds: Double = 2
        /// In-process workers.
        public var workers = 2

        /// The defaults (the full run).
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// SIGTERMs, and the server's clean exits.
        public var rounds = 0, cleanExits = 0
        /// Requests answered after the SIGTERM (the drain), in all.
        public var answeredDuringShutdown = 0
        /// Requests that got no answer, and of those, any that were stored anyway (must be 0).
        public var unanswered = 0, unansweredStored = 0
        /// Acknowledged requests not stored.
        public var lost = 0
        /// Jobs left `processing` after an exit; jobs whose attempts counted a shutdown.
        public var leftProcessing = 0, countedAttempts = 0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            "shutdown: \(rounds) SIGTERMs under load, \(cleanExits) clean exits; \(answeredDuringShutdown) requests answered during the drains, \(unanswered) unanswered of which \(unansweredStored) stored; lost \(lost); jobs left processing \(leftProcessing), attempts counted by a shutdown \(countedAttempts)"
        }
    }

    /// Runs it.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> Report {
        var report = Report()
        let db = setup.folder.appendingPathComponent("chaos-shutdown.sqlite").path
        let server = ServerProcess(binary: setup.binary, arguments: ["--db", db, "--model", setup.model.path, "--workers", String(configuration.workers)],
                                   log: setup.folder.appendingPathComponent("serve.log"), port: ChildProcess.freePort())
        defer { server.child?.killNow() }
        var acknowledged: [String: String?] = [:] // product id → job id (nil: a synchronous write)
        var unanswered = Set<String>()
        for round in 1...max(1, configuration.rounds) {
            try server.start()
            let clients = ChaosClients(count: configuration.clients, port: server.port, images: setup.images, prefix: "t\(round)-")
            Thread.sleep(forTimeInterval: configuration.loadSeconds)
            let terminated = Date()
            server.child?.send(SIGTERM)
            let exited = server.child?.wait(timeout: 60) == true
            clients.stop()
            report.rounds += 1
            if exited && server.child?.exitedCleanly == true { report.cleanExits += 1 } else {
                report.problems.append("round \(round): the server did not exit cleanly (\(server.child?.ending ?? "?"))")
            }
            for (id, entry) in clients.outcomes {
                switch entry.outcome {
                case .answered(let status, let jobID):
                    if entry.at > terminated { report.answeredDuringShutdown += 1 }
                    if status == 200 { acknowledged[id] = .some(nil) } else if status == 202 { acknowledged[id] = jobID }
                case .unanswered:
                    unanswered.insert(id)
                case .refused:
                    break
                }
            }
            let reader = try DatabaseQueue(path: db)
            let (processing, counted) = try reader.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE status = 'processing'") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE status = 'queued' AND attempts > 0") ?? 0)
            }
            try reader.close()
            report.leftProcessing += processing
            report.countedAttempts += counted
            log("round \(round): \(clients.outcomes.count) requests; \(processing) jobs processing after the exit")
        }
        // A last start finishes every queued job; each must have taken exactly one attempt.
        try server.start()
        let reader = try DatabaseQueue(path: db)
        _ = try ChaosSetup.waitFor(300) {
            try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE status IN ('queued', 'processing')") ?? 0 } == 0
        }
        server.child?.send(SIGTERM)
        server.child?.wait(timeout: 60)
        let (products, jobs) = try reader.read { db in
            (Set(try String.fetchAll(db, sql: "SELECT product_id FROM product")),
             try Row.fetchAll(db, sql: "SELECT id, status, attempts FROM job"))
        }
        var jobStatus: [String: (String, Int)] = [:]
        for job in jobs { jobStatus[job["id"]] = (job["status"], job["attempts"]) }
        for (id, jobID) in acknowledged {
            if !products.contains(id) { report.lost += 1 }
            if let jobID, jobStatus[jobID]?.0 != "succeeded" { report.lost += 1 }
        }
        report.countedAttempts += jobs.filter { ($0["attempts"] as Int) != 1 }.count
        report.unanswered = unanswered.count
        report.unansweredStored = unanswered.intersection(products).count
        if report.lost > 0 { report.problems.append("\(report.lost) acknowledged requests not stored") }
        if report.unansweredStored > 0 { report.problems.append("\(report.unansweredStored) requests got no answer and were stored: in flight, not answered") }
        if report.leftProcessing > 0 { report.problems.append("\(report.leftProcessing) jobs left processing by a shutdown") }
        if report.countedAttempts > 0 { report.problems.append("\(report.countedAttempts) jobs show an attempt counted by a shutdown") }
        if report.answeredDuringShutdown == 0 { report.problems.append("no request was answered after a SIGTERM: no drain") }
        return report
    }
}
