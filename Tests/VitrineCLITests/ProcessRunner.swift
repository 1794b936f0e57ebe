import Foundation
import Testing

/// Runs the real `vitrine` binary built beside the tests, with a bounded wait.
enum ProcessRunner {
    struct Outcome {
        var status: Int32
        /// True when the process ended by exiting (not by a signal) before the deadline.
        var exitedNormally: Bool
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// The built `vitrine` executable (swift test builds every product into the same folder).
    static let binary: URL = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("vitrine"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("vitrine"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vitrine"),
        ]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        fatalError("the vitrine executable was not found beside the tests: \(candidates.map(\.path))")
    }()

    /// The first executable called `name` on the PATH (or in /usr/bin).
    static func which(_ name: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A test that needs a tool this machine may lack: skipped where it is missing, with
    /// `reason` — except under `CI=true`, where it runs and fails, so that CI proves it.
    static func needs(_ available: Bool, _ reason: String) -> ConditionTrait {
        .enabled(if: available || ProcessInfo.processInfo.environment["CI"] == "true", Comment(rawValue: reason))
    }

    /// Runs another program (python3...) the same way.
    static func runTool(_ path: String, _ arguments: [String], timeout: TimeInterval = 60) throws -> Outcome {
        try run(arguments, executable: URL(fileURLWithPath: path), timeout: timeout)
    }

    static func run(_ arguments: [String], directory: URL? = nil, executable: URL? = nil,
                    environment: [String: String] = [:], input: Data? = nil, timeout: TimeInterval = 60) throws -> Outcome {
        let process = Process()
        process.executableURL = executable ?? binary
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        // Output goes to files, read once the process has ended: no pipes, no reader threads, no
        // dispatch sources (FileHandle.readabilityHandler raced with descriptors reused by the socket tests).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        // Standard input from a file too, when given.
        var stdin: FileHandle?
        if let input {
            let inURL = folder.appendingPathComponent("stdin")
            FileManager.default.createFile(atPath: inURL.path, contents: input)
            stdin = try FileHandle(forReadingFrom: inURL)
            process.standardInput = stdin
        }
        defer { try? stdin?.close() }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        // Not waitUntilExit() once it has exited: Foundation's run loop then sometimes waits for a
        // termination it has already seen, for ever (a CI run hung so, its child a zombie).
        let outData = LockedData(), errData = LockedData()
        outData.append((try? Data(contentsOf: outURL)) ?? Data())
        errData.append((try? Data(contentsOf: errURL)) ?? Data())
        return Outcome(status: process.terminationStatus,
                       exitedNormally: !timedOut && process.terminationReason == .exit,
                       stdout: String(decoding: outData.value, as: UTF8.self),
                       stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

/// Bytes shared between threads.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}
