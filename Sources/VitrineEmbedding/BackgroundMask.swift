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
        // The background colour: the per-channel median of the border.
        func median(_ plane: [Float]) -> Float {
            var values = border.map { plane[$0] }
            values.sort()
            return values[values.count / 2]
        }
        let background = (median(image.red), median(image.green), median(image.blue))
        func near(_ index: Int) -> Bool {
            abs(image.red[index] - background.0) <= Self.tolerance
                && abs(image.green[index] - background.1) <= Self.tolerance
                && abs(image.blue[index] - background.2) <= Self.tolerance
        }
        let nearBorder = border.filter(near).count
        // Border pixels can repeat (a one-pixel-wide picture); the fill marks each once.
        var isBackground = [Bool](repeating: false, count: count)
        // Only a mostly uniform border is a studio background; a photo cut to the product has none.
        if nearBorder * 2 >= border.count {
            isBackground.withUnsafeMutableBufferPointer { marked in
                let stack = UnsafeMutablePointer<Int32>.allocate(capacity: count)
                defer { stack.deallocate() }
                var top = 0
                for index in border where !marked[index] && near(index) {
                    marked[index] = true
                    stack[top] = Int32(index)
                    top += 1
                }
                while top > 0 {
                    top -= 1
                    let index = Int(stack[top])
                    let x = index % width, y = index / width
                    @inline(__always) func push(_ next: Int, _ top: inout Int) {
                        if !marked[next] && near(next) {
                            marked[next] = true
                            stack[top] = Int32(next)
                            top += 1
                        }
                    }
                    if x > 0 { push(index - 1, &top) }
                    if x + 1 < width { push(index + 1, &top) }
                    if y > 0 { push(index - width, &top) }
                    if y + 1 < height { push(index + width, &top) }
                }
            }
        }
        var foreground = 0
        var x0 = width, y0 = height, x1 = -1, y1 = -1
        for y in 0..<height {
            for x in 0..<width where !isBackground[y * width + x] {
                foreground += 1
                x0 = min(x0, x); x1 = max(x1, x)
                y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        // A product smaller than 1 % of the picture is more likely noise: use everything.
        if foreground * 100 < count {
            weights = [Float](repeating: 1, count: count)
            box = (0, 0, width - 1, height - 1)
        } else {
            weights = isBackground.map { $0 ? Self.backgroundWeight : 1 }
            box = (x0, y0, x1, y1)
        }
    }
}
