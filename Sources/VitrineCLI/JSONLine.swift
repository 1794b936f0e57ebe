import Foundation
import VitrineCatalog

/// The CLI prints the same JSON as the API (the catalogue's one shape per object): keys in the documented order.
typealias JSONValue = JSON.Value

/// Writes one JSON value per line to standard output, each line written at
/// once, so scripts reading the output line by line see each as it comes.
enum JSONLineWriter {
    static func write(_ value: JSONValue) {
        write(line: value.rendered)
    }

    /// Writes one already rendered line.
    static func write(line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
