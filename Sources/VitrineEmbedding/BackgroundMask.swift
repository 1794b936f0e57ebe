/// Finds the studio background: the region connected to the border whose
/// colour stays close to the border's typical colour (white on most
/// catalogue photos, and white padding or transparent padding after
/// decoding). It is down-weighted so it cannot dominate the features.
struct BackgroundMask {
    /// Per working pixel: 1 for product (foreground), ``backgroundWeight`` for background.
    let weights: [Float]
    /// The foreground's bounding box in working pixels (the whole image when nothing was found).
    let box: (x0: Int, y0: Int, x1: Int, y1: Int)

    /// Weight of a background pixel in every feature.
    static let backgroundWeight: Float = 0.02
    /// Largest per-channel difference from the background colour still counted as background.
    static let tolerance: Float = 0.09

    init(_ image: WorkingImage) {
        let width = image.width, height = image.height, count = width * height
        var border: [Int] = []
        for x in 0..<width {
            border.append(x)
            if height > 1 { border.append((height - 1) * width + x) }
        }
        if height > 2 {
            for y in 1..<(height - 1) {
                border.append(y * width)
                if width > 1 { border.append(y * width + width - 1) }
            }
        }
        // The background colour: the per-channel median of the given pixels.
        func median(_ plane: [Float], of pixels: [Int]) -> Float {
            var values = pixels.map { plane[$0] }
            values.sort()
            return values[values.count / 2]
        }
        var isBackground = [Bool](repeating: false, count: count)
        func near(_ index: Int, _ colour: (Float, Float, Float)) -> Bool {
            abs(image.red[index] - colour.0) <= Self.tolerance
                && abs(image.green[index] - colour.1) <= Self.tolerance
                && abs(image.blue[index] - colour.2) <= Self.tolerance
        }
        // Marks as background every pixel within the tolerance of `colour` that the seeds reach.
        func fill(from seeds: [Int], colour: (Float, Float, Float), within limit: (x0: Int, y0: Int, x1: Int, y1: Int)) {
            isBackground.withUnsafeMutableBufferPointer { marked in
                let stack = UnsafeMutablePointer<Int32>.allocate(capacity: count)
                defer { stack.deallocate() }
                var top = 0
                for index in seeds where !marked[index] && near(index, colour) {
                    marked[index] = true
                    stack[top] = Int32(index)
                    top += 1
                }
                while top > 0 {
                    top -= 1
                    let index = Int(stack[top])
                    let x = index % width, y = index / width
                    @inline(__always) func push(_ next: Int, _ top: inout Int) {
                        if !marked[next] && near(next, colour) {
                            marked[next] = true
                            stack[top] = Int32(next)
                            top += 1
                        }
                    }
                    if x > limit.x0 { push(index - 1, &top) }
                    if x < limit.x1 { push(index + 1, &top) }
                    if y > limit.y0 { push(index - width, &top) }
                    if y < limit.y1 { push(index + width, &top) }
                }
            }
        }
        func nearCount(_ pixels: [Int], _ colour: (Float, Float, Float)) -> Int {
            pixels.filter { near($0, colour) }.count
        }
        func foregroundBox() -> (x0: Int, y0: Int, x1: Int, y1: Int) {
            var x0 = width, y0 = height, x1 = -1, y1 = -1
            for y in 0..<height {
                for x in 0..<width where !isBackground[y * width + x] {
                    x0 = min(x0, x); x1 = max(x1, x)
                    y0 = min(y0, y); y1 = max(y1, y)
                }
            }
            return (x0, y0, x1, y1)
        }
        let background = (median(image.red, of: border), median(image.green, of: border), median(image.blue, of: border))
        // Only a mostly uniform border is a studio background; a photo cut to the product has none.
        var frame: [Bool]? = nil
        if nearCount(border, background) * 2 >= border.count {
            fill(from: border, colour: background, within: (0, 0, width - 1, height - 1))
            // A frame (model version 3): when what is left is a rectangle whose own edge is
            // foreground all round and nearly one colour (the background inside a frame, or
            // padding inside padding), that is background too. At most two more layers.
            for _ in 0..<2 {
                // One pixel inside the box: its own edge blends the frame into what it frames.
                let outer = foregroundBox()
                guard outer.x1 - outer.x0 >= 6, outer.y1 - outer.y0 >= 6,
                      outer.x0 > 0, outer.y0 > 0, outer.x1 < width - 1, outer.y1 < height - 1 else { break }
                let inner = (x0: outer.x0 + 1, y0: outer.y0 + 1, x1: outer.x1 - 1, y1: outer.y1 - 1)
                var edge: [Int] = []
                for x in inner.x0...inner.x1 { edge.append(inner.y0 * width + x); edge.append(inner.y1 * width + x) }
                for y in (inner.y0 + 1)..<inner.y1 { edge.append(y * width + inner.x0); edge.append(y * width + inner.x1) }
                let open = edge.filter { !isBackground[$0] }
                guard open.count * 10 >= edge.count * 9 else { break }
                let colour = (median(image.red, of: open), median(image.green, of: open), median(image.blue, of: open))
                guard nearCount(open, colour) * 10 >= open.count * 9 else { break }
                // The outer layer is a frame: it says nothing of the product, not even faintly.
                if frame == nil { frame = isBackground }
                for y in outer.y0...outer.y1 {
                    for x in outer.x0...outer.x1 where x == outer.x0 || x == outer.x1 || y == outer.y0 || y == outer.y1 {
                        isBackground[y * width + x] = true
                        frame![y * width + x] = true
                    }
                }
                fill(from: open, colour: colour, within: inner)
            }
        }
        let foreground = isBackground.lazy.filter { !$0 }.count
        let (x0, y0, x1, y1) = foregroundBox()
        // A product smaller than 1 % of the picture is more likely noise: use everything.
        if foreground * 100 < count {
            weights = [Float](repeating: 1, count: count)
            box = (0, 0, width - 1, height - 1)
        } else {
            if let frame {
                weights = (0..<count).map { frame[$0] ? 0 : (isBackground[$0] ? Self.backgroundWeight : 1) }
            } else {
                weights = isBackground.map { $0 ? Self.backgroundWeight : 1 }
            }
            box = (x0, y0, x1, y1)
        }
    }
}
