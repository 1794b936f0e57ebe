/// Reads the Orientation tag from an EXIF block, defensively: a broken,
/// truncated or hostile block gives `nil` (treated as upright), never an error.
enum EXIFReader {
    /// `payload` is a JPEG APP1 payload starting with `Exif\0\0`, or a bare TIFF
    /// structure (a PNG eXIf chunk).
    static func orientation(in payload: [UInt8]) -> Orientation? {
        var tiff = payload[...]
        if tiff.starts(with: Array("Exif".utf8) + [0, 0]) { tiff = tiff.dropFirst(6) }
        let bytes = Array(tiff)
        guard bytes.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (bytes[0], bytes[1]) {
        case (0x4D, 0x4D): bigEndian = true
        case (0x49, 0x49): bigEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            let a = Int(bytes[at]), b = Int(bytes[at + 1])
            return bigEndian ? (a << 8 | b) : (b << 8 | a)
        }
        func u32(_ at: Int) -> Int? {
            guard let high = u16(bigEndian ? at : at + 2), let low = u16(bigEndian ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        // An IFD has at most a few hundred entries; refuse absurd counts.
        guard count <= 1_000 else { return nil }
        for index in 0..<count {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            guard let type = u16(entry + 2), let components = u32(entry + 4), components >= 1 else { return nil }
            let value: Int?
            switch type {
            case 3: value = u16(entry + 8)                                  // SHORT, stored in place
            case 4: value = u32(entry + 8)                                  // LONG (non-standard but seen)
            case 1: value = entry + 8 < bytes.count ? Int(bytes[entry + 8]) : nil // BYTE (non-standard)
            default: value = nil
            }
            return value.flatMap(Orientation.init(rawValue:))
        }
        return nil
    }
}
