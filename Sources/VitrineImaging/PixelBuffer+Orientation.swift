extension PixelBuffer {
    /// Turns stored pixels upright according to an EXIF orientation.
    public func applying(_ orientation: Orientation) -> PixelBuffer {
        if orientation == .up { return self }
        let (outWidth, outHeight) = orientation.uprightSize(width: width, height: height)
        let sourceWidth = width, sourceHeight = height
        // For each upright pixel (x, y), the stored pixel it comes from.
        let source: (Int, Int) -> (Int, Int)
        switch orientation {
        case .up: source = { x, y in (x, y) }
        case .upMirrored: source = { x, y in (sourceWidth - 1 - x, y) }
        case .down: source = { x, y in (sourceWidth - 1 - x, sourceHeight - 1 - y) }
        case .downMirrored: source = { x, y in (x, sourceHeight - 1 - y) }
        case .leftMirrored: source = { x, y in (y, x) }
        case .right: source = { x, y in (y, sourceHeight - 1 - x) }
        case .rightMirrored: source = { x, y in (sourceWidth - 1 - y, sourceHeight - 1 - x) }
        case .left: source = { x, y in (sourceWidth - 1 - y, x) }
        }
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for y in 0..<outHeight {
                    var target = y * outWidth * 3
                    for x in 0..<outWidth {
                        let (sx, sy) = source(x, y)
                        let from = (sy * sourceWidth + sx) * 3
                        output[target] = input[from]
                        output[target + 1] = input[from + 1]
                        output[target + 2] = input[from + 2]
                        target += 3
                    }
                }
            }
        }
        return PixelBuffer(width: outWidth, height: outHeight, pixels: out)
    }
}
