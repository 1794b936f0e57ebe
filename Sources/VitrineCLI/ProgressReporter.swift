import Foundation
import VitrineCatalog

/// Progress on standard error: a bar redrawn in place on a terminal, plain
/// lines every few seconds otherwise (so logs stay readable).
final class ProgressReporter: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastLine = Date.distantPast
    private var printedEnd = false
    private let label: String
    private let json: Bool

    /// `json`: one JSON object per update (each after a committed batch), for programs that follow a run.
    init(label: String, json: Bool = false) {
        self.label = label
        self.json = json
    }

    func update(_ progress: IndexProgress) {
        if json {
            var fields: [(String, JSONValue)] = [("done", .int(progress.done)), ("failed", .int(progress.failed)),
                                                 ("seconds", .double((progress.elapsed * 1000).rounded() / 1000))]
            if let total = progress.total { fields.insert(("total", .int(total)), at: 1) }
            FileHandle.standardError.write(Data((JSONValue.object([("progress", .object(fields))]).rendered + "\n").utf8))
            return
        }
        let rate = progress.elapsed > 0 ? Double(progress.done) / progress.elapsed : 0
        let total = progress.total ?? 0
        let eta = rate > 0 && total > progress.done ? Double(total - progress.done) / rate : 0
        let counts = total > 0 ? "\(progress.done)/\(total)" : "\(progress.done)"
        let tail = "\(String(format: "%.0f", rate))/s, ETA \(Self.duration(eta)), \(progress.failed) failed"
        if isTerminal {
            let width = 30
            let filled = total > 0 ? min(width, progress.done * width / total) : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) \(bar) \(counts) \(tail)\u{1B}[K".utf8))
        } else if Date().timeIntervalSince(lastLine) >= 2 || (total > 0 && progress.done >= total && !printedEnd) {
            printedEnd = total > 0 && progress.done >= total
            lastLine = Date()
            FileHandle.standardError.write(Data("\(label): \(counts) rows, \(tail)\n".utf8))
        }
    }

    func finish() {
        if isTerminal && !json { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return "\(Int(seconds.rounded()))s" }
        return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
    }
}

/// Turns Ctrl-C (SIGINT) and SIGTERM into a stop request: the run finishes
/// its current batch, commits it, reports, and exits.
enum Interruption {
    static func install(_ flag: StopFlag,
                        message: String = "stopping after the current batch (Ctrl-C again to stop at once)…",
                        then: @escaping @Sendable () -> Void = {}) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if flag.isSet { exit(130) } // a second Ctrl-C: stop now (committed batches are safe)
                flag.stop()
                FileHandle.standardError.write(Data("\n\(message)\n".utf8))
                then()
            }
            source.resume()
            return source
        }
    }
}
