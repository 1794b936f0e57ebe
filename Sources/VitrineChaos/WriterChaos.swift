import Foundation
import GRDB
import VitrineProbe

/// An indexing process SIGKILLed at random moments — inside its transactions,
/// its fsyncs, its model load — again and again: after each kill the database
/// must pass `PRAGMA integrity_check` and hold every batch the process had
/// reported committed (its `--progress-json` lines).
public enum WriterChaos {
    /// How hard to shake.
    public struct Configuration: Sendable {
        /// SIGKILLs (runs that finished before their kill do not count).
        public var kills = 200
        /// Catalogue rows (text-only, but for the first `imageRows`).
        public var rows = 3_000
        /// Rows with an image.
        public var imageRows = 300
        /// Rows per batch (per transaction).
        public var batchSize = 32
        /// When to kill, seconds after the start (uniform); the upper end shrinks to 90 % of the
        /// last run that finished before its kill, so the kills fall inside a run on a fast machine too.
        public var killAfter: ClosedRange<Double> = 0.02...0.6
        /// The longest the run may take, seconds.
        public var timeout: Double = 900

        /// The defaults (the full run).
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// SIGKILLs of a running indexer, and runs that finished first.
        public var kills = 0, completedRuns = 0
        /// Kills after which the integrity check failed.
        public var corrupt = 0
        /// Rows reported committed and not stored (at their run's version) after a kill.
        public var missing = 0
        /// Batches reported committed before the kills, in all.
        public var reportedBatches = 0
        /// Wall-clock seconds.
        public var seconds = 0.0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            "writer: \(kills) SIGKILLs of index-catalog (and \(completedRuns) runs that finished first) in \(String(format: "%.0f", seconds)) s; integrity_check failed \(corrupt) times; \(reportedBatches) batches reported committed, rows missing \(missing)"
        }
    }

    /// Runs it.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> Report {
        let started = Date()
        var report = Report()
        let db = setup.folder.appendingPathComponent("chaos-writer.sqlite").path
        // Two versions of one catalogue, indexed alternately: every run has work to do.
        let imagesFolder = setup.folder.appendingPathComponent("writer-images")
        try FileManager.default.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
        for (index, image) in setup.images.enumerated() {
            try image.write(to: imagesFolder.appendingPathComponent("i\(index)"))
        }
        func name(_ row: Int, _ version: Int) -> String { "Article \(row) version \(version)" }
        let catalogues = try (0..<2).map { version -> URL in
            var lines = ["product_id,name,image"]
            for row in 1...configuration.rows {
                let image = row <= configuration.imageRows ? "writer-images/i\(row % setup.images.count)" : ""
                lines.append("r\(row),\(name(row, version)),\(image)")
            }
            let url = setup.folder.appendingPathComponent("writer-\(version).csv")
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        var random = SeededGenerator(state: setup.seed)
        var run = 0
        // How long the last run that finished by itself took (nil until one does).
        var fullRun: Double?
        let deadline = started.addingTimeInterval(configuration.timeout)
        while report.kills < configuration.kills && Date() < deadline {
            let version = run % 2
            run += 1
            let logURL = setup.folder.appendingPathComponent("writer-run.log")
            try? FileManager.default.removeItem(at: logURL)
            let process = try ChildProcess(setup.binary, ["index-catalog", catalogues[version].path, "--db", db,
                                                          "--batch-size", String(configuration.batchSize), "--progress-json",
                                                          "--failures", setup.folder.appendingPathComponent("writer.failures.jsonl").path,
                                                          "--model", setup.model.path], log: logURL)
            let launched = Date()
            let lower = configuration.killAfter.lowerBound
            let upper = max(lower, min(configuration.killAfter.upperBound, (fullRun ?? .infinity) * 0.9))
            let killAt = launched.addingTimeInterval(Double.random(in: lower...upper, using: &random))
            while process.isRunning && Date() < killAt { usleep(2_000) }
            if process.isRunning {
                process.send(SIGKILL)
                report.kills += 1
            } else {
                fullRun = Date().timeIntervalSince(launched)
            }
            process.wait(timeout: 60)
            if process.process.terminationReason == .exit {
                report.completedRuns += 1
                if !process.exitedCleanly { report.problems.append("run \(run) ended \(process.ending): \(process.log.suffix(500))") }
            }
            // What it said it had committed, and what the file holds.
            let done = process.log.split(separator: "\n").compactMap { line -> Int? in
                guard line.hasPrefix("{\"progress\""),
                      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let progress = object["progress"] as? [String: Any] else { return nil }
                return progress["done"] as? Int
            }
            report.reportedBatches += done.count
            let committed = done.max() ?? 0
            let reader = try DatabaseQueue(path: db)
            let (integrity, names) = try reader.read { db in
                // A run killed before its first migration leaves no table yet (and reported nothing).
                (try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                 try db.tableExists("product") ? try Row.fetchAll(db, sql: "SELECT product_id, name FROM product") : [])
            }
            try reader.close()
            if integrity != ["ok"] {
                report.corrupt += 1
                report.problems.append("after kill \(report.kills): integrity_check said \(integrity.prefix(3))")
            }
            var stored: [String: String] = [:]
            for row in names { stored[row["product_id"]] = row["name"] }
            let missing = (0..<committed).filter { stored["r\($0 + 1)"] != name($0 + 1, version) }.count
            if missing > 0 {
                report.missing += missing
                report.problems.append("after kill \(report.kills): \(missing) of the \(committed) rows reported committed are not stored")
            }
            if report.kills % 20 == 0 { log("kill \(report.kills): run \(run) had committed \(committed) rows") }
        }
        if report.kills < configuration.kills {
            report.problems.append("only \(report.kills) kills before the timeout (\(configuration.kills) wanted)")
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
