import ArgumentParser
import Foundation

/// A release `vitrine serve` child process on a fresh database, its memory read
/// from /proc, and its exit status checked when it is stopped.
final class BenchServer {
    let process = Process()
    let port: Int
    let db: String

    /// The `vitrine` binary beside this benchmark's.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vitrine").path
    }

    init(_ arguments: [String]) throws {
        db = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-bench-\(UUID().uuidString).sqlite").path
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--db", db] + arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            text += String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
            if let range = text.range(of: #"serving on http://127\.0\.0\.1:\d+ \("#, options: .regularExpression) {
                found = Int(text[range].dropLast(2).split(separator: ":").last ?? "")
            }
        }
        // From here on its log is not read: let it go nowhere rather than fill the pipe.
        // (A reader thread, not a readabilityHandler: its dispatch source races with reused descriptors.)
        let handle = pipe.fileHandleForReading
        Thread { while !handle.availableData.isEmpty {} }.start()
        guard let found else {
            process.terminate()
            throw ValidationError("the server did not start: \(text)")
        }
        port = found
    }

    /// Resident memory now (VmRSS), KiB.
    var residentKiB: Int { Self.status(process.processIdentifier, "VmRSS:") }
    /// Peak resident memory so far (VmHWM), KiB.
    var peakKiB: Int { Self.status(process.processIdentifier, "VmHWM:") }

    static func status(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// SIGTERM, then the exit status, which must be 0 (a graceful shutdown); the database is removed.
    func stop() throws {
        process.terminate()
        process.waitUntilExit()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ValidationError("vitrine serve did not shut down cleanly: \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        }
    }
}
