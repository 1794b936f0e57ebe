import Foundation

/// Vectors as compact blobs: Float32, little-endian, 4 bytes a value (2 KB for 512).
public enum VectorBlob {
    /// Encodes a vector.
    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in vector.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// Decodes a blob; throws when its length is not a whole number of values.
    public static func decode(_ data: Data) throws(StoreError) -> [Float] {
        guard data.count % 4 == 0 else {
            throw StoreError(.corrupt, "a stored vector has \(data.count) bytes, not a multiple of 4")
        }
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }
}
