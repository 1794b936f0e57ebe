import Foundation
import VitrineProbe

/// A `vitrine serve` child process: started (and started again after a kill) on one port,
/// ready once /health answers; its output in a log file. The chaos runs, the benchmarks and
/// the process tests all start servers with it.
public final class ServerProcess: @unchecked Sendable {
    /// The `vitrine` executable.
    public let binary: URL
    /// The arguments after `serve` (all but `--port`).
    public let arguments: [String]
    /// Where its output goes (appended across starts).
    public let logURL: URL
    private let environment: [String: String]
    private let directory: URL?
    /// The port: as given, or the one the first start picked (0 asks for any free port).
    public private(set) var port: Int
    /// The process of the latest start.
    public private(set) var child: ChildProcess?

    /// A server to start with `vitrine serve --port <port> <arguments>`.
    public init(binary: URL, arguments: [String], log: URL, port: Int = 0, environment: [String: String] = [:],
                directory: URL? = nil) {
        self.binary = binary
        self.arguments = arguments
        logURL = log
        self.port = port
        self.environment = environment
        self.directory = directory
    }

    /// `http://127.0.0.1:<port>`.
    public var base: String { "http://127.0.0.1:\(port)" }

    /// Its output so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Starts it and waits until it says where it serves and /health answers (at most `timeout` seconds).
    public func start(timeout: TimeInterval = 60) throws {
        let before = log.utf8.count
        let process = try ChildProcess(binary, ["serve", "--port", String(port)] + arguments, log: logURL,
                                       environment: environment, directory: directory)
        child = process
        var found: Int?
        let healthy = ChaosSetup.waitFor(timeout) {
            guard process.isRunning else { return true }
            if found == nil {
                // The whole line, so the port is not read half-written.
                let text = String(decoding: Array(log.utf8.dropFirst(before)), as: UTF8.self)
                guard let range = text.range(of: #"serving on http://[^:]+:\d+ \("#, options: .regularExpression) else { return false }
                found = Int(text[range].dropLast(2).split(separator: ":").last ?? "")
            }
            guard let found else { return false }
            return (try? RawHTTP.send(port: found, RawHTTP.request("GET", "/health"), timeout: 2))??.status == 200
        }
        guard healthy, process.isRunning, let found else {
            process.killNow()
            throw ChaosError("vitrine serve did not become healthy (\(process.ending)): \(log.suffix(2000))")
        }
        port = found
    }

    /// SIGTERM, then waits (SIGKILL after `timeout` seconds); true when it exited cleanly (status 0).
    @discardableResult
    public func stop(timeout: TimeInterval = 20) -> Bool {
        guard let child else { return true }
        child.send(SIGTERM)
        if !child.wait(timeout: timeout) { child.killNow() }
        return child.exitedCleanly
    }
}
