import ArgumentParser
import Foundation
import VitrineChaos

/// A release `vitrine serve` child process on a fresh database (a ``ServerProcess``), its
/// memory read from /proc, and its exit status checked when it is stopped.
final class BenchServer {
    let server: ServerProcess
    let db: String

    /// The `vitrine` binary beside this benchmark's.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vitrine").path
    }

    /// A server on `db` (a fresh SQLite file when nil; a PostgreSQL URL is used as it is).
    init(_ arguments: [String], db: String? = nil) throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-bench-\(UUID().uuidString)").path
        self.db = db ?? stem + ".sqlite"
        server = ServerProcess(binary: URL(fileURLWithPath: Self.binary), arguments: ["--db", self.db] + arguments,
                               log: URL(fileURLWithPath: stem + ".log"))
        do { try server.start() } catch { throw ValidationError("the server did not start: \(error)") }
    }

    /// The port it serves on.
    var port: Int { server.port }
    /// Its process.
    var process: Process { server.child!.process }

    /// Resident memory now (VmRSS), KiB.
    var residentKiB: Int { Self.status(process.processIdentifier, "VmRSS:") }
    /// Peak resident memory so far (VmHWM), KiB.
    var peakKiB: Int { Self.status(process.processIdentifier, "VmHWM:") }

    static func status(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// SIGTERM, then the exit status, which must be 0 (a graceful shutdown); the database and log are removed.
    func stop() throws {
        let clean = server.stop(timeout: 60)
        let ending = server.child?.ending ?? "?"
        if !db.contains("://") { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        try? FileManager.default.removeItem(at: server.logURL)
        guard clean else { throw ValidationError("vitrine serve did not shut down cleanly: \(ending)") }
    }
}
