import CVitrineCodecs

/// Small JPEG previews of product images, made at index time from the pixels the
/// embedding was decoded to, and served by the API: baseline JPEG, the longest side
/// between ``minimumSide`` and ``longestSide`` pixels (the DCT scale's size, shrunk
/// when larger), or the image's own size when it is smaller. Decoding with a target
/// of ``minimumSide`` (the model's decode target) gives pixels large enough.
public enum Thumbnail {
    /// The longest side of a thumbnail at most, in pixels.
    public static let longestSide = 256
    /// The longest side of a thumbnail at least (unless the image is smaller).
    public static let minimumSide = 192
    /// JPEG quality of thumbnails.
    public static let quality = 80

    /// The thumbnail of decoded pixels: shrunk by area averaging so that the longest
    /// side is at most ``longestSide`` (never enlarged), then JPEG-encoded.
    public static func make(from image: PixelBuffer) throws(ImagingError) -> [UInt8] {
        try encode(shrink(image, longestSide: longestSide), quality: quality)
    }

    /// `image` shrunk so that its longest side is at most `longestSide`: each output
    /// pixel is the mean of the source pixels its area covers.
    public static func shrink(_ image: PixelBuffer, longestSide: Int) -> PixelBuffer {
        let long = max(image.width, image.height)
        guard long > longestSide, image.width > 0, image.height > 0 else { return image }
        let width = max(1, (image.width * longestSide + long / 2) / long)
        let height = max(1, (image.height * longestSide + long / 2) / long)
        let sourceWidth = image.width, sourceHeight = image.height
        // Each output column's first source column, and the reciprocal of its width: computed once.
        let columns = (0...width).map { $0 * sourceWidth / width }
        let widths = (0..<width).map { UInt32(max(1, columns[$0 + 1] - columns[$0])) }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let rowLength = sourceWidth * 3
        // Vertical pass first (whole interleaved rows: it vectorises), then each output column's
        // sum of its source columns; integer sums, divided in 16.16 fixed point (a multiply and a
        // shift: no float conversions with their range checks, which took most of the time).
        var sums = [UInt32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { sourceBuffer in
            columns.withUnsafeBufferPointer { columnBuffer in
                widths.withUnsafeBufferPointer { widthBuffer in
                    out.withUnsafeMutableBufferPointer { outBuffer in
                        sums.withUnsafeMutableBufferPointer { sumBuffer in
                            let source = sourceBuffer.baseAddress!, column = columnBuffer.baseAddress!
                            let columnWidth = widthBuffer.baseAddress!
                            var scalesByRows: [UInt32: [UInt64]] = [:]
                            let target = outBuffer.baseAddress!, sum = sumBuffer.baseAddress!
                            for y in 0..<height {
                                let y0 = y * sourceHeight / height, y1 = max(y0 + 1, (y + 1) * sourceHeight / height)
                                sum.update(repeating: 0, count: rowLength)
                                for sy in y0..<y1 {
                                    let row = source + sy * rowLength
                                    for i in 0..<rowLength { sum[i] &+= UInt32(row[i]) }
                                }
                                let rows = UInt32(y1 - y0)
                                // An output row averages ⌊ratio⌋ or ⌈ratio⌉ source rows: two sets of column scales.
                                if scalesByRows[rows] == nil {
                                    scalesByRows[rows] = (0..<width).map { UInt64((1 << 16) / (rows &* columnWidth[$0])) }
                                }
                                let scales = scalesByRows[rows]!
                                var line = target + y * width * 3
                                for x in 0..<width {
                                    let start = column[x], end = max(start + 1, column[x + 1])
                                    var p = sum + start * 3
                                    var r = p[0], g = p[1], b = p[2]
                                    var sx = start + 1
                                    while sx < end { p += 3; r &+= p[0]; g &+= p[1]; b &+= p[2]; sx += 1 }
                                    let scale = scales[x], half = UInt64(1 << 15)
                                    line[0] = UInt8(truncatingIfNeeded: (UInt64(r) &* scale &+ half) >> 16)
                                    line[1] = UInt8(truncatingIfNeeded: (UInt64(g) &* scale &+ half) >> 16)
                                    line[2] = UInt8(truncatingIfNeeded: (UInt64(b) &* scale &+ half) >> 16)
                                    line += 3
                                }
                            }
                        }
                    }
                }
            }
        }
        return PixelBuffer(width: width, height: height, pixels: out)
    }

    /// `image` as a baseline JPEG.
    public static func encode(_ image: PixelBuffer, quality: Int) throws(ImagingError) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var size = 0
        var error = vt_error()
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            vt_jpeg_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(quality), &buffer, &size, &error)
        }
        defer { vt_jpeg_free(buffer) }
        guard status == VT_OK, let buffer else {
            let detail = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            throw ImagingError(.outOfMemory, "cannot make a thumbnail: \(detail)")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }
}
