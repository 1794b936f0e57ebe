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

    init(_ source: PixelBuffer, side: Int = WorkingImage.side) {
        let longer = max(source.width, source.height)
        let scale = Float(side) / Float(max(longer, 1))
        let width = max(1, Int((Float(source.width) * scale).rounded()))
        let height = max(1, Int((Float(source.height) * scale).rounded()))
        let horizontal = Resampler.taps(from: source.width, to: width)
        let vertical = Resampler.taps(from: source.height, to: height)
        let count = width * height
        let sourceWidth = source.width
        let rowLength = sourceWidth * 3
        // Vertical pass first, on whole interleaved rows (contiguous, so it vectorises):
        // working rows × source columns.
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: height * rowLength)
        defer { rows.deallocate() }
        rows.update(repeating: 0, count: height * rowLength)
        source.pixels.withUnsafeBufferPointer { input in
            let pixels = input.baseAddress!
            for y in 0..<height {
                let out = rows + y * rowLength
                for t in vertical.range(y) {
                    let line = pixels + vertical.index[t] * rowLength, w = vertical.weight[t]
                    for i in 0..<rowLength { out[i] += w * Float(line[i]) }
                }
            }
        }
        // Horizontal pass into three planes, scaled to 0...1.
        let normalise: Float = 1 / 255
        var planes = (red: [Float](repeating: 0, count: count), green: [Float](repeating: 0, count: count),
                      blue: [Float](repeating: 0, count: count))
        planes.red.withUnsafeMutableBufferPointer { red in
            planes.green.withUnsafeMutableBufferPointer { green in
                planes.blue.withUnsafeMutableBufferPointer { blue in
                    horizontal.index.withUnsafeBufferPointer { index in
                        horizontal.weight.withUnsafeBufferPointer { weight in
                            for y in 0..<height {
                                let line = rows + y * rowLength
                                for x in 0..<width {
                                    var r: Float = 0, g: Float = 0, b: Float = 0
                                    for t in horizontal.range(x) {
                                        let p = line + index[t] * 3, w = weight[t]
                                        r += w * p[0]
                                        g += w * p[1]
                                        b += w * p[2]
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

/// One-dimensional resampling weights, flat: output position `i` sums
/// `weight[t] · input[index[t]]` for `t` in `start[i] ..< start[i + 1]`.
enum Resampler {
    struct Taps {
        var start: [Int] = [0]
        var index: [Int] = []
        var weight: [Float] = []

        @inline(__always) func range(_ output: Int) -> Range<Int> { start[output]..<start[output + 1] }
    }

    /// For each of `outputs` positions, the source positions and weights (summing to 1).
    static func taps(from inputs: Int, to outputs: Int) -> Taps {
        let ratio = Double(inputs) / Double(outputs)
        var result = Taps()
        result.start.reserveCapacity(outputs + 1)
        for out in 0..<outputs {
            if ratio >= 1 {
                // Area average: the source interval [out·ratio, (out+1)·ratio).
                let start = Double(out) * ratio, end = start + ratio
                var index = Int(start)
                while Double(index) < end && index < inputs {
                    let covered = min(end, Double(index + 1)) - max(start, Double(index))
                    if covered > 1e-9 { result.index.append(index); result.weight.append(Float(covered / ratio)) }
                    index += 1
                }
            } else {
                // Bilinear between the two nearest source centres.
                let centre = (Double(out) + 0.5) * ratio - 0.5
                let low = min(max(Int(centre.rounded(.down)), 0), inputs - 1)
                let high = min(low + 1, inputs - 1)
                let t = Float(min(max(centre - Double(low), 0), 1))
                if high != low {
                    result.index += [low, high]; result.weight += [1 - t, t]
                } else {
                    result.index.append(low); result.weight.append(1)
                }
            }
            result.start.append(result.index.count)
        }
        return result
    }
}
