import Foundation
import VitrineStore

/// A search index saved to a file with the feed position it had reached, so a process
/// that starts (`vitrine search`, a server) reads 520 bytes a product from one file
/// and applies only the changes made since, instead of reading every vector from the
/// store. A snapshot is used only for the store, model, vector kind and dimension it
/// was made for; any other, or a damaged or truncated file, is ignored (the index is
/// rebuilt from the feed). Written to a temporary file and renamed, so a reader never
/// sees half of one. Format: README.md in this folder.
public struct IndexSnapshot: Sendable {
    /// What the snapshot is of.
    public struct Header: Sendable, Equatable {
        /// The store's ``ChangeFeed/identity()``.
        public var store: String
        /// The model whose vectors it holds.
        public var model: String
        /// Which vectors.
        public var kind: VectorKind
        /// Their dimension.
        public var dimension: Int
        /// The feed position the index had reached.
        public var position: Int64

        /// Creates a header.
        public init(store: String, model: String, kind: VectorKind, dimension: Int, position: Int64) {
            self.store = store
            self.model = model
            self.kind = kind
            self.dimension = dimension
            self.position = position
        }
    }

    static let magic = Array("VTXINDEX".utf8)
    static let formatVersion: UInt32 = 2

    /// The bytes of a snapshot of `index` (its contents read under its lock, at once).
    public static func encode(_ index: SearchIndex, header: Header) -> Data {
        var data = Data()
        index.withContents { vectors, rowIDs, productIDs, attributes in
            let slots = rowIDs.count
            data.reserveCapacity(64 + slots * (index.dimension + 4 + 8 + 18))
            data.append(contentsOf: magic)
            append(formatVersion, to: &data)
            append(UInt32(index.dimension), to: &data)
            append(UInt64(slots), to: &data)
            append(header.position, to: &data)
            for text in [header.store, header.model, header.kind.rawValue] { appendString(text, to: &data) }
            vectors.scales.withUnsafeBytes { data.append(contentsOf: $0) }
            rowIDs.withUnsafeBytes { data.append(contentsOf: $0) }
            vectors.codes.withUnsafeBytes { data.append(contentsOf: $0) }
            for id in productIDs { appendString(id, to: &data) }
            for slot in 0..<slots { appendAttributes(rowIDs[slot] < 0 ? .none : attributes(slot), to: &data) }
        }
        return data
    }

    /// Writes encoded snapshot bytes to `url` (a temporary file, then a rename).
    public static func write(_ data: Data, to url: URL) throws(CatalogError) {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw CatalogError(.store, "cannot write the index snapshot \(url.path): \(error.localizedDescription)")
        }
    }

    /// The index saved at `url` and its position, or nil when there is none, or it is not one
    /// for `expected` (store, model, kind, dimension; the position is not compared), or it is damaged.
    public static func load(from url: URL, expected: Header) -> (index: SearchIndex, position: Int64)? {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return nil }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> (SearchIndex, Int64)? in
            var reader = ByteReader(raw)
            guard reader.bytes(magic.count).map(Array.init) == magic,
                  reader.value(UInt32.self) == formatVersion,
                  let dimension = reader.value(UInt32.self).map(Int.init), dimension == expected.dimension,
                  let slots = reader.value(UInt64.self).map(Int.init), slots >= 0, slots < 1 << 32,
                  let position = reader.value(Int64.self),
                  reader.string() == expected.store, reader.string() == expected.model,
                  reader.string() == expected.kind.rawValue,
                  let scales = reader.array(Float.self, count: slots),
                  let rowIDs = reader.array(Int64.self, count: slots),
                  let codes = reader.array(Int8.self, count: slots * dimension) else { return nil }
            var productIDs: [String] = []
            productIDs.reserveCapacity(slots)
            for _ in 0..<slots {
                guard let id = reader.string() else { return nil }
                productIDs.append(id)
            }
            var attributes: [ProductAttributes] = []
            attributes.reserveCapacity(slots)
            for _ in 0..<slots {
                guard let slotAttributes = reader.attributes() else { return nil }
                attributes.append(slotAttributes)
            }
            guard reader.atEnd else { return nil }
            let vectors = QuantisedVectors(dimension: dimension, codes: codes, scales: scales)
            return (SearchIndex(vectors: vectors, rowIDs: rowIDs, productIDs: productIDs, attributes: attributes), position)
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    /// Attributes: a UInt16 count of fields; each its name, a UInt16 count of values, and each value
    /// as a tag byte (0 false, 1 true, 2 a Float64, 3 a string) and its payload.
    private static func appendAttributes(_ attributes: ProductAttributes, to data: inout Data) {
        append(UInt16(attributes.fields.count), to: &data)
        for field in attributes.fields {
            appendString(field.name, to: &data)
            append(UInt16(field.values.count), to: &data)
            for value in field.values {
                switch value {
                case .bool(let flag): data.append(flag ? 1 : 0)
                case .number(let number):
                    data.append(2)
                    append(number.bitPattern, to: &data)
                case .string(let text):
                    data.append(3)
                    appendString(text, to: &data)
                }
            }
        }
    }

    private static func appendString(_ text: String, to data: inout Data) {
        let bytes = Array(text.utf8.prefix(Int(UInt16.max)))
        append(UInt16(bytes.count), to: &data)
        data.append(contentsOf: bytes)
    }
}

/// Bounds-checked reads from a snapshot's bytes (little-endian, as written on the machines Vitrine runs on).
private struct ByteReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var atEnd: Bool { offset == raw.count }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, raw.count - offset >= count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
    }

    mutating func value<T: FixedWidthInteger>(_ type: T.Type) -> T? {
        guard let bytes = bytes(MemoryLayout<T>.size) else { return nil }
        return T(littleEndian: bytes.loadUnaligned(as: T.self))
    }

    mutating func string() -> String? {
        guard let length = value(UInt16.self), let bytes = bytes(Int(length)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func attributes() -> ProductAttributes? {
        guard let fieldCount = value(UInt16.self) else { return nil }
        if fieldCount == 0 { return ProductAttributes.none }
        var fields: [(name: String, values: [AttributeValue])] = []
        for _ in 0..<fieldCount {
            guard let name = string(), let valueCount = value(UInt16.self) else { return nil }
            var values: [AttributeValue] = []
            for _ in 0..<valueCount {
                guard let tag = value(UInt8.self) else { return nil }
                switch tag {
                case 0, 1: values.append(.bool(tag == 1))
                case 2:
                    guard let bits = value(UInt64.self) else { return nil }
                    values.append(.number(Double(bitPattern: bits)))
                case 3:
                    guard let text = string() else { return nil }
                    values.append(.string(text))
                default: return nil
                }
            }
            fields.append((name, values))
        }
        return ProductAttributes(fields: fields)
    }

    mutating func array<T>(_ type: T.Type, count: Int) -> [T]? {
        guard count.multipliedReportingOverflow(by: MemoryLayout<T>.stride).overflow == false,
              let bytes = bytes(count * MemoryLayout<T>.stride) else { return nil }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes) }
            initialised = count
        }
    }
}
