import VitrineImaging

/// The canonical working image the features are computed on: the upright
/// picture resampled (area average when shrinking, bilinear when growing) so
/// its longer side is ``side`` pixels, as planar sRGB floats in 0...1.
struct WorkingImage {
    /// Longer side of every working image.
    static let side = 64

    let width: Int
    let height: Int
    var red: [Float]
    var green: [Float]
    var blue: [Float]

    init(_ source: PixelBuffer) {
        let longer = max(source.width, source.height)
        let scale = Float(Self.side) / Float(max(longer, 1))
        let width = max(1, Int((Float(source.width) * scale).rounded()))
        let height = max(1, Int((Float(source.height) * scale).rounded()))
        let horizontal = Resampler.taps(from: source.width, to: width)
        let vertical = Resampler.taps(from: source.height, to: height)
        let count = width * height
        let sourceWidth = source.width, sourceHeight = source.height
        // Horizontal pass: source rows × working columns, RGB interleaved.
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: sourceHeight * width * 3)
        defer { rows.deallocate() }
        source.pixels.withUnsafeBufferPointer { input in
            let pixels = input.baseAddress!
            for y in 0..<sourceHeight {
                let rowBase = y * sourceWidth * 3
                for x in 0..<width {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for tap in horizontal[x] {
                        let index = rowBase + tap.index * 3
                        r += tap.weight * Float(pixels[index])
                        g += tap.weight * Float(pixels[index + 1])
                        b += tap.weight * Float(pixels[index + 2])
                    }
                    let o = (y * width + x) * 3
                    rows[o] = r
                    rows[o + 1] = g
                    rows[o + 2] = b
                }
            }
        }
        // Vertical pass into three planes, scaled to 0...1.
        let normalise: Float = 1 / 255
        var planes = (red: [Float](repeating: 0, count: count), green: [Float](repeating: 0, count: count),
                      blue: [Float](repeating: 0, count: count))
        planes.red.withUnsafeMutableBufferPointer { red in
            planes.green.withUnsafeMutableBufferPointer { green in
                planes.blue.withUnsafeMutableBufferPointer { blue in
                    for y in 0..<height {
                        for x in 0..<width {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            for tap in vertical[y] {
                                let index = (tap.index * width + x) * 3
                                r += tap.weight * rows[index]
                                g += tap.weight * rows[index + 1]
                                b += tap.weight * rows[index + 2]
                            }
                            let o = y * width + x
                            red[o] = min(max(r * normalise, 0), 1)
                            green[o] = min(max(g * normalise, 0), 1)
                            blue[o] = min(max(b * normalise, 0), 1)
                        }
                    }
                }
            }
        }
        let (red, green, blue) = planes
        self.width = width
        self.height = height
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// One-dimensional resampling weights.
enum Resampler {
    struct Tap {
        var index: Int
        var weight: Float
    }

    /// For each of `outputs` positions, the source positions and weights (summing to 1).
    static func taps(from inputs: Int, to outputs: Int) -> [[Tap]] {
        let ratio = Double(inputs) / Double(outputs)
        var result: [[Tap]] = []
        result.reserveCapacity(outputs)
        for out in 0..<outputs {
            var taps: [Tap] = []
            if ratio >= 1 {
                // Area average: the source interval [out·ratio, (out+1)·ratio).
                let start = Double(out) * ratio, end = start + ratio
                var index = Int(start)
                while Double(index) < end && index < inputs {
                    let covered = min(end, Double(index + 1)) - max(start, Double(index))
                    if covered > 1e-9 { taps.append(Tap(index: index, weight: Float(covered / ratio))) }
                    index += 1
                }
            } else {
                // Bilinear between the two nearest source centres.
                let centre = (Double(out) + 0.5) * ratio - 0.5
                let low = min(max(Int(centre.rounded(.down)), 0), inputs - 1)
                let high = min(low + 1, inputs - 1)
                let t = Float(min(max(centre - Double(low), 0), 1))
                taps.append(Tap(index: low, weight: 1 - t))
                if high != low { taps.append(Tap(index: high, weight: t)) } else { taps[0].weight = 1 }
            }
            result.append(taps)
        }
        return result
    }
}
