import Foundation
import VitrineProbe

/// PostgreSQL killed (`immediate`, as a crash) and started again under load: `vitrine serve` on
/// it, with its in-process workers, keeps running and answers 503 meanwhile; once PostgreSQL is
/// back it recovers by itself (new connections, notifications listened again); every write it
/// acknowledged (200, 202) is stored and every acknowledged job succeeds.
public enum DatabaseRestartChaos {
    /// How hard to push.
    public struct Configuration: Sendable {
        /// Client threads.
        public var clients = 4
        /// Seconds of load before PostgreSQL is killed, while it is down, and after it is back.
        public var phases: [Double] = [2, 2, 3]
        /// Seconds to wait for the queue to drain.
        public var drainTimeout = 120.0

        /// The defaults.
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Requests sent; answered 200 / 202; answered 503 while the database was down.
        public var sent = 0, acknowledgedWrites = 0, acknowledgedUploads = 0, unavailable = 0
        /// Writes acknowledged after PostgreSQL was back.
        public var acknowledgedAfterRestart = 0
        /// Seconds from PostgreSQL accepting connections again to the server's first 200.
        public var recovery = 0.0
        /// Acknowledged writes not stored, or jobs not succeeded.
        public var lost = 0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            "database restart: \(sent) requests; \(acknowledgedWrites) writes 200 and \(acknowledgedUploads) uploads 202, \(unavailable) answered 503 while PostgreSQL was down; \(acknowledgedAfterRestart) acknowledged after it came back (first after \(String(format: "%.2f", recovery)) s); lost \(lost)"
        }
    }

    /// Runs it.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration = Configuration(),
                           log: @escaping @Sendable (String) -> Void = { _ in }) throws -> Report {
        var report = Report()
        let cluster = try PostgresCluster()
        try cluster.stopWhenProcessEnds()
        try cluster.start()
        defer { cluster.stop() }
        try cluster.sql("CREATE DATABASE catalogue")
        let server = ServerProcess(binary: setup.binary, arguments: ["--db", cluster.url("catalogue"), "--model", setup.model.path,
                                                                     "--workers", "2", "--job-lease", "2"],
                                   log: setup.folder.appendingPathComponent("serve.log"), port: ChildProcess.freePort())
        try server.start()
        defer { server.child?.killNow() }
        let clients = ChaosClients(count: configuration.clients, port: server.port, images: setup.images, prefix: "r")
        Thread.sleep(forTimeInterval: configuration.phases[0])
        try cluster.kill()
        let downAt = Date()
        log("PostgreSQL killed")
        Thread.sleep(forTimeInterval: configuration.phases[1])
        try cluster.start()
        let upAt = Date()
        log("PostgreSQL started again")
        Thread.sleep(forTimeInterval: configuration.phases[2])
        clients.stop()
        if server.child?.isRunning != true { report.problems.append("the server stopped: \(server.child?.ending ?? "?")") }

        let drained = try ChaosSetup.waitFor(configuration.drainTimeout) {
            try cluster.sql("SELECT COUNT(*) FROM job WHERE status IN ('queued', 'processing')", database: "catalogue")
                .trimmingCharacters(in: .whitespacesAndNewlines) == "0"
        }
        if !drained { report.problems.append("the queue did not drain within \(Int(configuration.drainTimeout)) s") }
        let products = Set(try cluster.sql("SELECT product_id FROM product", database: "catalogue").split(separator: "\n").map(String.init))
        let succeeded = Set(try cluster.sql("SELECT id FROM job WHERE status = 'succeeded'", database: "catalogue")
            .split(separator: "\n").map(String.init))
        report.sent = clients.sent.count
        var firstAfter: Date?
        for (id, entry) in clients.outcomes {
            guard case .answered(let status, let jobID) = entry.outcome else { continue }
            switch status {
            case 200, 202:
                if status == 200 { report.acknowledgedWrites += 1 } else { report.acknowledgedUploads += 1 }
                if entry.at > upAt {
                    report.acknowledgedAfterRestart += 1
                    if status == 200, firstAfter.map({ entry.at < $0 }) ?? true { firstAfter = entry.at }
                }
                let jobDone = status == 200 || jobID.map(succeeded.contains) == true
                if !products.contains(id) || !jobDone {
                    report.lost += 1
                    report.problems.append("\(id) was answered \(status) and is not stored (or its job did not succeed)")
                }
            case 503:
                if entry.at > downAt { report.unavailable += 1 }
            case 429:
                break
            default:
                report.problems.append("request \(id) was answered \(status)")
            }
        }
        report.recovery = firstAfter.map { $0.timeIntervalSince(upAt) } ?? -1
        if report.unavailable == 0 { report.problems.append("no request was answered 503 while PostgreSQL was down") }
        if report.acknowledgedAfterRestart == 0 { report.problems.append("the server did not recover after PostgreSQL came back") }
        if report.problems.count > 20 { report.problems = Array(report.problems.prefix(20)) + ["…"] }
        if !report.problems.isEmpty {
            let kept = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-restart-serve-\(getpid()).log")
            try? FileManager.default.removeItem(at: kept)
            try? FileManager.default.copyItem(at: server.logURL, to: kept)
            report.problems.append("the server's log is kept in \(kept.path); it ends: \(server.log.suffix(1500))")
        }
        return report
    }
}
