import Crypto
import Foundation

/// Generates the model's fixed random projections from a seed, bit for bit
/// the same on every machine: integer PRNG only, no floating-point library calls.
///
/// The 512 dimensions are split in two orthogonal halves so that the
/// modalities never leak into each other by chance:
/// - colour and patch blocks: orthonormal columns (Rademacher draws,
///   Gram–Schmidt) in dimensions 0..<256, stored column-major as Float32 over
///   all 512 rows; being orthonormal, they keep inner products exactly;
/// - text block: for each of 65,536 hashed buckets, 8 distinct rows in
///   256..<512 with random signs (a sparse Johnson–Lindenstrauss projection),
///   stored as UInt16 `row | sign << 15`; the value is ±1/√8.
/// Text reaches the image half only through the colour-word bridge, which uses
/// the colour block itself.
public enum WeightsGenerator {
    /// The binary file's first bytes.
    static let magic = Array("VITRINEW".utf8)
    static let headerBytes = 64

    /// Creates the weights file and its manifest.
    public static func generate(seed: UInt64) -> (weights: Data, manifest: ModelManifest) {
        var data = Data(magic)
        appendLittleEndian(UInt32(1), to: &data)    // format version
        appendLittleEndian(UInt32(3), to: &data)    // block count
        appendLittleEndian(seed, to: &data)
        data.append(contentsOf: [UInt8](repeating: 0, count: headerBytes - data.count))

        var blocks: [ModelManifest.Block] = []
        let imageColumns = orthonormalColumns(count: ColourSpace.binCount + PatchGrid.dimension,
                                              length: ModelSpec.imageSubspace, seed: seed)
        var next = 0
        for (name, inputs) in [("colour", ColourSpace.binCount), ("patches", PatchGrid.dimension)] {
            let offset = data.count
            for _ in 0..<inputs {
                let column = imageColumns[next]
                next += 1
                for row in 0..<ModelSpec.dimension {
                    let value = row < column.count ? Float(column[row]) : 0
                    appendLittleEndian(value.bitPattern, to: &data)
                }
            }
            blocks.append(.init(name: name, kind: "dense-f32-column-major", inputs: inputs,
                                outputs: ModelSpec.dimension, nonzeros: nil, offset: offset, bytes: data.count - offset))
            pad(&data)
        }
        var rng = Xoshiro256(seed: seed, stream: "text")
        let offset = data.count
        for _ in 0..<ModelSpec.textBuckets {
            var rows: [UInt16] = []
            while rows.count < ModelSpec.textNonzeros {
                let textRows = UInt64(ModelSpec.dimension - ModelSpec.imageSubspace)
                let row = UInt16(ModelSpec.imageSubspace + Int(rng.next() % textRows))
                if !rows.contains(row) { rows.append(row) }
            }
            for row in rows {
                let sign: UInt16 = rng.next() & 1 == 0 ? 0 : 0x8000
                appendLittleEndian(row | sign, to: &data)
            }
        }
        blocks.append(.init(name: "text", kind: "sparse-sign-u16", inputs: ModelSpec.textBuckets,
                            outputs: ModelSpec.dimension, nonzeros: ModelSpec.textNonzeros, offset: offset,
                            bytes: data.count - offset))
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let manifest = ModelManifest(format: "vitrine-weights", formatVersion: 1, name: ModelSpec.name,
                                     version: ModelSpec.version, seed: seed, dimension: ModelSpec.dimension,
                                     file: "\(ModelSpec.fileStem).bin", bytes: data.count, sha256: digest,
                                     blocks: blocks)
        return (data, manifest)
    }

    /// `count` orthonormal vectors of `length`: Rademacher draws made
    /// orthonormal by modified Gram–Schmidt in Double (only +, −, ×, ÷ and
    /// sqrt, all correctly rounded, so every IEEE machine gets the same bits).
    static func orthonormalColumns(count: Int, length: Int, seed: UInt64) -> [[Double]] {
        precondition(count <= length, "more columns than dimensions")
        var rng = Xoshiro256(seed: seed, stream: "image")
        var columns: [[Double]] = []
        while columns.count < count {
            var v = (0..<length).map { _ in rng.next() & 1 == 0 ? 1.0 : -1.0 }
            for q in columns {
                var dot = 0.0
                for i in 0..<length { dot += v[i] * q[i] }
                for i in 0..<length { v[i] -= dot * q[i] }
            }
            var norm = 0.0
            for value in v { norm += value * value }
            norm = norm.squareRoot()
            guard norm > 1e-6 else { continue } // dependent draw: try another
            columns.append(v.map { $0 / norm })
        }
        return columns
    }

    private static func pad(_ data: inout Data) {
        let remainder = data.count % 64
        if remainder != 0 { data.append(contentsOf: [UInt8](repeating: 0, count: 64 - remainder)) }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}

/// xoshiro256** seeded through SplitMix64 from the model seed and a stream name.
struct Xoshiro256 {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64, stream: String) {
        var hash = StableHash(kind: 0)
        for byte in stream.utf8 { hash.combine(byte) }
        var x = seed ^ hash.finalized
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
