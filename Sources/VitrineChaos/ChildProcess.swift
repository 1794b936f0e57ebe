import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `vitrine` process started by a chaos run: its output goes to a log file
/// (no pipes to drain), and it can be killed, stopped, continued and waited for
/// with a deadline.
public final class ChildProcess: @unchecked Sendable {
    /// The process.
    public let process = Process()
    /// Where its standard output and error go.
    public let logURL: URL

    /// Starts `binary` with `arguments`, its output appended to `log`.
    public init(_ binary: URL, _ arguments: [String], log: URL, environment: [String: String] = [:], directory: URL? = nil) throws {
        logURL = log
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }
    /// Whether it is still running.
    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM…).
    public func send(_ signal: Int32) { if process.isRunning { kill(process.processIdentifier, signal) } }

    /// Waits until it has exited, at most `timeout` seconds; false when it is still running.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    /// SIGKILL and wait (the way a crash or an OOM kill ends a process).
    public func killNow() {
        send(SIGCONT)
        send(SIGKILL)
        wait(timeout: 30)
    }

    /// Ended by exiting with status 0.
    public var exitedCleanly: Bool {
        !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// How it ended, in words.
    public var ending: String {
        if process.isRunning { return "still running" }
        return process.terminationReason == .exit ? "exit \(process.terminationStatus)" : "signal \(process.terminationStatus)"
    }

    /// Its output so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// A free TCP port on 127.0.0.1 (bound, read, closed).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
