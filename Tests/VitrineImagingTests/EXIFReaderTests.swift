import Testing
@testable import VitrineImaging

/// The EXIF reader finds the orientation and shrugs off broken blocks.
@Suite("EXIF reader")
struct EXIFReaderTests {
    /// A big-endian TIFF block with one IFD0 entry.
    private func block(tag: UInt16 = 0x0112, type: UInt16 = 3, value: UInt16, prefix: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = prefix ? Array("Exif".utf8) + [0, 0] : []
        bytes += [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1]
        bytes += [UInt8(tag >> 8), UInt8(tag & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF), 0, 0, 0, 1]
        bytes += [UInt8(value >> 8), UInt8(value & 0xFF), 0, 0, 0, 0, 0, 0]
        return bytes
    }

    @Test("orientation 1-8, with or without the Exif prefix", arguments: 1...8)
    func valid(_ value: Int) {
        #expect(EXIFReader.orientation(in: block(value: UInt16(value)))?.rawValue == value)
        #expect(EXIFReader.orientation(in: block(value: UInt16(value), prefix: false))?.rawValue == value)
    }

    @Test("broken blocks give nil, never a crash")
    func broken() {
        #expect(EXIFReader.orientation(in: []) == nil)
        #expect(EXIFReader.orientation(in: Array("Exif".utf8) + [0, 0]) == nil)
        #expect(EXIFReader.orientation(in: block(value: 0)) == nil)
        #expect(EXIFReader.orientation(in: block(value: 9)) == nil)
        #expect(EXIFReader.orientation(in: block(value: 0xFFFF)) == nil)
        #expect(EXIFReader.orientation(in: block(tag: 0x0100, value: 6)) == nil)
        #expect(EXIFReader.orientation(in: block(type: 7, value: 6)) == nil)
        var hugeOffset = block(value: 6)
        hugeOffset[10...13] = [0xFF, 0xFF, 0xFF, 0xF0]
        #expect(EXIFReader.orientation(in: hugeOffset) == nil)
        var hugeCount = block(value: 6)
        hugeCount[14...15] = [0xFF, 0xFF]
        #expect(EXIFReader.orientation(in: hugeCount) == nil)
        #expect(EXIFReader.orientation(in: Array(block(value: 6).prefix(20))) == nil)
        var badMagic = block(value: 6)
        badMagic[9] = 43
        #expect(EXIFReader.orientation(in: badMagic) == nil)
    }
}
