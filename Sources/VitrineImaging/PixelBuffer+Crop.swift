extension PixelBuffer {
    /// The rectangle of `width` × `height` pixels whose top left is (`x`, `y`), clamped to the
    /// picture (at least one pixel each way).
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> PixelBuffer {
        let x0 = min(max(0, x), max(0, width - 1)), y0 = min(max(0, y), max(0, height - 1))
        let w = max(1, min(cropWidth, width - x0)), h = max(1, min(cropHeight, height - y0))
        if x0 == 0, y0 == 0, w == width, h == height { return self }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for row in 0..<h {
                    let from = input.baseAddress! + ((y0 + row) * width + x0) * 3
                    (output.baseAddress! + row * w * 3).update(from: from, count: w * 3)
                }
            }
        }
        return PixelBuffer(width: w, height: h, pixels: out)
    }
}
