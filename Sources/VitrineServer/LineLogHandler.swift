import Foundation
import Logging

/// Log lines on standard error: `2026-11-29T06:00:00Z info vitrine: message key=value`.
///
/// swift-log's `StreamLogHandler` re-renders its metadata each time a key is set, and
/// Hummingbird sets a request id on every request's logger: that cost ~3 % of a
/// synchronous index request. This handler renders metadata only when a line is written.
public struct LineLogHandler: LogHandler {
    /// The lowest level written.
    public var logLevel: Logger.Level
    /// Metadata written with every line.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata, read when a line is written.
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    /// A handler for the logger `label`, writing `level` and above.
    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        logLevel = level
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line (a single write, so lines from several threads do not interleave).
    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let given = event.metadata { all.merge(given) { $1 } }
        var line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(event.message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }
}
