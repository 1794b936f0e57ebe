import CSV
import Foundation
import VitrineStore
import VitrineEmbedding

/// Streams a catalogue file, CSV (a header row, RFC 4180 quoting, UTF-8) or
/// JSON Lines, one row at a time so memory stays flat however large it is.
/// Fields: `product_id` and `name` (required), `description`, `metadata`,
/// `image` (optional). Unknown columns are ignored.
public final class CatalogReader {
    /// The two formats.
    public enum Format: String, Sendable {
        /// Comma-separated values with a header row.
        case csv
        /// One JSON object per line.
        case jsonLines = "jsonl"
    }

    /// The format in use.
    public let format: Format
    /// The catalogue's path.
    public let path: String
    private var csv: CSVReader?
    private var stream: InputStream?
    private var columns: [String: Int] = [:]
    private var lines: LineReader?
    private var rowNumber: Int
    /// The limits each row's fields are checked against.
    public let limits: FieldLimits

    /// Opens `path`; the format comes from the extension (.csv, .jsonl, .ndjson,
    /// .json) or, failing that, from the first character ('{' means JSON Lines).
    public init(path: String, limits: FieldLimits = .default) throws(CatalogError) {
        self.path = path
        self.limits = limits
        guard let stream = InputStream(fileAtPath: path), FileManager.default.isReadableFile(atPath: path) else {
            throw CatalogError(.badCatalog, "cannot read the catalogue \(path)")
        }
        format = Self.detectFormat(path: path)
        switch format {
        case .csv:
            do {
                let reader = try CSVReader(stream: stream, hasHeaderRow: true, trimFields: false)
                guard let header = reader.headerRow else {
                    throw CatalogError(.badCatalog, "\(path) is empty: a CSV catalogue needs a header row")
                }
                for (index, name) in header.enumerated() {
                    let key = name.trimmingWhitespace().lowercased()
                        .replacingOccurrences(of: "\u{FEFF}", with: "")
                    if columns[key] == nil { columns[key] = index }
                }
                for required in ["product_id", "name"] where columns[required] == nil {
                    throw CatalogError(.badCatalog, "\(path): the header has no \(required) column (it has: \(header.joined(separator: ", ")))")
                }
                csv = reader
                self.stream = stream
            } catch let error as CatalogError {
                throw error
            } catch {
                throw CatalogError(.badCatalog, "\(path) is not readable CSV: \(error)")
            }
            rowNumber = 1
        case .jsonLines:
            lines = LineReader(stream: stream)
            rowNumber = 0
        }
    }

    /// The next row: a product, or the reason its row is bad; nil at the end.
    /// Throws only when the file itself cannot be read further.
    public func next() throws(CatalogError) -> Result<CatalogRow, RowFailure>? {
        switch format {
        case .csv: return try nextCSV()
        case .jsonLines: return try nextJSONLine()
        }
    }

    /// What a first pass over a catalogue learns: the row count (for
    /// progress) and, for ids that appear more than once, their last row.
    public struct Survey: Sendable {
        /// Rows in the file (good or bad).
        public var rows = 0
        /// Rows whose id had already appeared.
        public var repeatedRows = 0
        /// The last row of each repeated id (the row that wins).
        public var lastRowOfRepeatedIDs: [String: Int] = [:]

        /// Whether a later row of `row`'s id supersedes it.
        public func supersedes(_ row: CatalogRow) -> Bool {
            lastRowOfRepeatedIDs[row.productID].map { $0 != row.row } ?? false
        }
    }

    /// Reads the whole file once, keeping only ids.
    public static func survey(path: String, limits: FieldLimits = .default) throws(CatalogError) -> Survey {
        let reader = try CatalogReader(path: path, limits: limits)
        var survey = Survey()
        var seen = Set<String>()
        while let next = try reader.next() {
            survey.rows += 1
            guard case .success(let row) = next else { continue }
            if !seen.insert(row.productID).inserted {
                survey.repeatedRows += 1
                survey.lastRowOfRepeatedIDs[row.productID] = row.row
            }
        }
        return survey
    }

    private static func detectFormat(path: String) -> Format {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonLines
        default:
            let head = FileManager.default.contents(atPath: path)?.prefix(64) ?? Data()
            let first = head.first { !(" \t\r\n".utf8.contains($0)) }
            return first == UInt8(ascii: "{") ? .jsonLines : .csv
        }
    }

    private func nextCSV() throws(CatalogError) -> Result<CatalogRow, RowFailure>? {
        guard let csv else { return nil }
        guard let fields = csv.next() else {
            // CSV.swift reports cannotReadFile when it reaches the end of a stream: that is the end.
            if let error = csv.error, stream?.hasBytesAvailable == true || !Self.isEndOfStream(error) {
                throw CatalogError(.badCatalog, "\(path): CSV cannot be read after row \(rowNumber): \(error)")
            }
            return nil
        }
        rowNumber += 1
        // A blank line reads as one empty field: skip it without counting it as a product.
        if fields.count == 1 && fields[0].isEmpty { return try nextCSV() }
        func field(_ name: String) -> String? {
            guard let index = columns[name], index < fields.count else { return nil }
            return fields[index]
        }
        if fields.count != csv.headerRow!.count {
            return .failure(RowFailure(row: rowNumber, productID: field("product_id"), code: "bad_row",
                                       reason: "row \(rowNumber) has \(fields.count) fields, the header has \(csv.headerRow!.count)"))
        }
        return validate(row: rowNumber, productID: field("product_id"), name: field("name"),
                             description: field("description"), metadata: field("metadata"), image: field("image"))
    }

    private static func isEndOfStream(_ error: Error) -> Bool {
        if case CSVError.cannotReadFile = error { return true }
        return false
    }

    private func nextJSONLine() throws(CatalogError) -> Result<CatalogRow, RowFailure>? {
        guard let lines else { return nil }
        while true {
            let line: String?
            do { line = try lines.next() } catch {
                throw CatalogError(.badCatalog, "\(path): cannot read after line \(rowNumber): \(error)")
            }
            guard let line else { return nil }
            rowNumber += 1
            if line.trimmingWhitespace().isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                return .failure(RowFailure(row: rowNumber, productID: nil, code: "bad_row",
                                           reason: "line \(rowNumber) is not a JSON object"))
            }
            func text(_ key: String) -> String? {
                switch object[key] {
                case nil, is NSNull: return nil
                case let string as String: return string
                case let number as NSNumber: return number.stringValue
                case let value?:
                    guard JSONSerialization.isValidJSONObject(value),
                          let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                        return "\(value)"
                    }
                    return String(decoding: data, as: UTF8.self)
                }
            }
            return validate(row: rowNumber, productID: text("product_id"), name: text("name"),
                                 description: text("description"), metadata: text("metadata"), image: text("image"))
        }
    }

    func validate(row: Int, productID: String?, name: String?, description: String?, metadata: String?,
                  image: String?) -> Result<CatalogRow, RowFailure> {
        let fields: ProductFields
        do throws(CatalogError) {
            fields = try limits.product(id: productID, name: name, description: description, metadata: metadata)
        } catch {
            let id = productID.map { $0.utf8.count <= limits.productID ? $0 : String($0.prefix(40)) + "…" }
            return .failure(RowFailure(row: row, productID: error.code == .missingField && error.field == "product_id" ? nil : id,
                                       code: error.code.rawValue, reason: "row \(row): \(error.message)"))
        }
        let image = image?.trimmingWhitespace()
        return .success(CatalogRow(row: row, productID: fields.productID, name: fields.name, description: fields.description,
                                   metadata: fields.metadata, image: (image?.isEmpty ?? true) ? nil : image))
    }
}

/// Reads UTF-8 lines from a stream in 64 KB chunks.
final class LineReader {
    private let stream: InputStream
    private var buffer = [UInt8]()
    private var start = 0
    private var finished = false

    init(stream: InputStream) {
        self.stream = stream
        stream.open()
    }

    deinit { stream.close() }

    func next() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = stream.read(&chunk, maxLength: chunk.count)
            if count < 0 { throw stream.streamError ?? CatalogError(.badCatalog, "read error") }
            if count == 0 { finished = true } else { buffer.append(contentsOf: chunk[0..<count]) }
        }
    }
}
