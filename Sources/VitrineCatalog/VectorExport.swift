import Foundation
import VitrineStore

/// Exports ids and vectors for other tools: JSON Lines, or a NumPy `.npy`
/// float32 matrix with the ids, one per line, in a text file beside it.
public enum VectorExport {
    /// The two formats.
    public enum Format: String, Sendable, CaseIterable {
        /// `{"product_id", "model", "vector"}` per line.
        case jsonl
        /// An (n, 512) little-endian float32 `.npy` plus `<output>.ids.txt`.
        case npy
    }

    /// Writes every vector of `kind` to `output`; returns how many.
    public static func export(store: any ProductStore, kind: VectorKind, format: Format, to output: URL) throws(CatalogError) -> Int {
        do {
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            defer { try? handle.close() }
            var count = 0
            switch format {
            case .jsonl:
                var buffer = Data()
                try store.forEachVector(kind) { stored in
                    let id = String(data: try JSONSerialization.data(withJSONObject: [stored.productID], options: [.withoutEscapingSlashes]), encoding: .utf8)!.dropFirst().dropLast()
                    buffer.append(Data("{\"product_id\":\(id),\"model\":\"\(stored.model)\",\"vector\":[".utf8))
                    buffer.append(Data(stored.vector.map { "\($0)" }.joined(separator: ",").utf8))
                    buffer.append(Data("]}\n".utf8))
                    count += 1
                    if buffer.count > 1 << 20 { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
                }
                try handle.write(contentsOf: buffer)
            case .npy:
                let idsURL = URL(fileURLWithPath: output.path + ".ids.txt")
                FileManager.default.createFile(atPath: idsURL.path, contents: nil)
                let ids = try FileHandle(forWritingTo: idsURL)
                defer { try? ids.close() }
                var dimension = 512
                try handle.write(contentsOf: header(rows: 0, columns: dimension))
                try store.forEachVector(kind) { stored in
                    dimension = stored.vector.count
                    try handle.write(contentsOf: VectorBlob.encode(stored.vector))
                    try ids.write(contentsOf: Data((stored.productID.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
                    count += 1
                }
                // The header's shape is fixed-width: rewrite it with the real row count.
                try handle.seek(toOffset: 0)
                try handle.write(contentsOf: header(rows: count, columns: dimension))
            }
            return count
        } catch let error as StoreError {
            throw CatalogError(error)
        } catch {
            throw CatalogError(.invalidRequest, "cannot write \(output.path): \(error)")
        }
    }

    /// A NumPy format 1.0 header, padded to 128 bytes whatever the row count.
    static func header(rows: Int, columns: Int) -> Data {
        var text = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let total = 128
        text += String(repeating: " ", count: total - 10 - text.utf8.count - 1) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(text.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(Data(text.utf8))
        return data
    }
}
