import Foundation
import GRDB
import VitrineProbe

/// The server killed mid-write, again and again: clients send synchronous writes
/// and uploads as fast as it answers while `vitrine serve` (with in-process
/// workers) is SIGKILLed and started again. Afterwards every request that got a
/// 200 or a 202 must be stored (its product, or its job succeeded with its
/// product), and nothing that was never sent.
public enum ServerChaos {
    /// How hard to shake.
    public struct Configuration: Sendable {
        /// Concurrent clients.
        public var clients = 8
        /// SIGKILLs.
        public var kills = 10
        /// Seconds the server runs between a start and its kill (uniform).
        public var upFor: ClosedRange<Double> = 1...3
        /// In-process workers.
        public var workers = 2
        /// The longest to wait for the queue to drain at the end, seconds.
        public var drainTimeout: Double = 300

        /// The defaults (the full run).
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// SIGKILLs.
        public var kills = 0
        /// Requests sent, answered 200 (sync) and 202 (uploads).
        public var sent = 0, acknowledgedWrites = 0, acknowledgedUploads = 0
        /// Requests cut off by a kill (sent, no answer).
        public var unanswered = 0
        /// Acknowledged writes or uploads not stored afterwards.
        public var lost = 0
        /// Unacknowledged requests that were stored anyway (committed just before a kill: the client retries, idempotently).
        public var storedUnacknowledged = 0
        /// Products nobody sent, or stored twice.
        public var unexpected = 0, duplicates = 0
        /// Wall-clock seconds.
        public var seconds = 0.0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            "server: \(kills) SIGKILLs in \(String(format: "%.0f", seconds)) s; \(sent) requests, \(acknowledgedWrites) writes answered 200 and \(acknowledgedUploads) uploads 202; lost \(lost), duplicates \(duplicates), unexpected \(unexpected); \(unanswered) cut off by a kill, of which \(storedUnacknowledged) had been stored just before it"
        }
    }

    /// Runs it.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> Report {
        let started = Date()
        var report = Report()
        let db = setup.folder.appendingPathComponent("chaos-server.sqlite").path
        let server = ServerProcess(binary: setup.binary, arguments: ["--db", db, "--model", setup.model.path, "--workers", String(configuration.workers)],
                                   log: setup.folder.appendingPathComponent("serve.log"), port: ChildProcess.freePort())
        try server.start()
        defer { server.child?.killNow() }
        let clients = ChaosClients(count: configuration.clients, port: server.port, images: setup.images, prefix: "k")
        var random = SeededGenerator(state: setup.seed)
        for kill in 1...max(1, configuration.kills) {
            Thread.sleep(forTimeInterval: Double.random(in: configuration.upFor, using: &random))
            server.child?.send(SIGKILL)
            server.child?.wait(timeout: 30)
            report.kills += 1
            log("kill \(kill): \(clients.outcomes.count) requests so far")
            try server.start()
        }
        Thread.sleep(forTimeInterval: Double.random(in: configuration.upFor, using: &random))
        clients.stop()
        // Every acknowledged upload's job finishes on the last server.
        let reader = try DatabaseQueue(path: db)
        let drained = try ChaosSetup.waitFor(configuration.drainTimeout) {
            try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE status IN ('queued', 'processing')") ?? 0 } == 0
        }
        if !drained { report.problems.append("the queue did not drain within \(configuration.drainTimeout) s") }
        server.child?.send(SIGTERM)
        if server.child?.wait(timeout: 30) != true || server.child?.exitedCleanly != true {
            report.problems.append("the server did not stop cleanly on SIGTERM (\(server.child?.ending ?? "?"))")
        }
        report.seconds = Date().timeIntervalSince(started)

        let (products, duplicates, jobs) = try reader.read { db in
            (Set(try String.fetchAll(db, sql: "SELECT product_id FROM product")),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) - COUNT(DISTINCT product_id) FROM product") ?? 0,
             try Row.fetchAll(db, sql: "SELECT id, product_id, status, error FROM job"))
        }
        var jobStatus: [String: (product: String, status: String, error: String?)] = [:]
        for job in jobs { jobStatus[job["id"]] = (job["product_id"], job["status"], job["error"]) }
        report.duplicates = duplicates
        report.sent = clients.sent.count
        var acknowledged = Set<String>()
        for (id, entry) in clients.outcomes {
            switch entry.outcome {
            case .answered(let status, let jobID):
                if status == 200 {
                    report.acknowledgedWrites += 1
                    acknowledged.insert(id)
                    if !products.contains(id) { report.lost += 1; report.problems.append("write \(id) was answered 200 and is not stored") }
                } else if status == 202 {
                    report.acknowledgedUploads += 1
                    acknowledged.insert(id)
                    guard let jobID, let job = jobStatus[jobID] else {
                        report.lost += 1; report.problems.append("upload \(id) was answered 202 and its job is gone"); continue
                    }
                    if job.status != "succeeded" || !products.contains(id) {
                        report.lost += 1
                        report.problems.append("upload \(id): job \(jobID) ended \(job.status) (\(job.error ?? "")), product stored: \(products.contains(id))")
                    }
                } else if status != 429 && status != 503 {
                    report.problems.append("request \(id) was answered \(status)")
                }
            case .refused:
                break
            case .unanswered:
                report.unanswered += 1
            }
        }
        let sentIDs = Set(clients.sent.keys)
        report.unexpected = products.subtracting(sentIDs).count
        report.storedUnacknowledged = products.subtracting(acknowledged).intersection(sentIDs).count
        if report.unexpected > 0 { report.problems.append("\(report.unexpected) products stored that no client sent") }
        if report.duplicates > 0 { report.problems.append("\(report.duplicates) duplicate products") }
        if report.problems.count > 20 { report.problems = Array(report.problems.prefix(20)) + ["…"] }
        return report
    }
}
