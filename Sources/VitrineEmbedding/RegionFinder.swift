import VitrineImaging

/// Finds where another picture sits inside a picture: a photo pasted on a larger canvas (a
/// screenshot of a shop page, a photo on a poster), and the two photos of a side-by-side or
/// stacked collage. Works on the decoded pixels, before any resampling; pure and cheap
/// (a few passes over at most a few hundred pixels a side).
enum RegionFinder {
    /// How far (per channel) a pixel may be from a canvas colour and still be canvas.
    static let tolerance = 6

    /// The largest rectangle of the picture that is not its canvas, when there is one of a
    /// reasonable size (8–85 % of the area). The canvas is the colours common on the border
    /// (each ≥ 5 % of it; bars, the page's background; within ``tolerance``); the rectangle is found on 4×4 blocks
    /// that are mostly not canvas, then each edge is moved to the last line that mostly is not.
    static func contentBox(_ image: PixelBuffer) -> ImageRegion? {
        let width = image.width, height = image.height
        guard width >= 16, height >= 16 else { return nil }
        return image.pixels.withUnsafeBufferPointer { pixels -> ImageRegion? in
            let p = pixels.baseAddress!
            func key(_ x: Int, _ y: Int) -> Int {
                let i = (y * width + x) * 3
                return Int(p[i] >> 4) << 8 | Int(p[i + 1] >> 4) << 4 | Int(p[i + 2] >> 4)
            }
            // The canvas: colours common on the border (by 4-bit bins), each as its pixels' mean.
            var counts: [Int: (count: Int, r: Int, g: Int, b: Int)] = [:]
            func count(_ x: Int, _ y: Int) {
                let i = (y * width + x) * 3
                counts[key(x, y), default: (0, 0, 0, 0)].count += 1
                counts[key(x, y)]!.r += Int(p[i]); counts[key(x, y)]!.g += Int(p[i + 1]); counts[key(x, y)]!.b += Int(p[i + 2])
            }
            for x in 0..<width { count(x, 0); count(x, height - 1) }
            for y in 0..<height { count(0, y); count(width - 1, y) }
            let border = 2 * (width + height)
            let canvas = counts.values.filter { $0.count * 20 >= border }.map { bin in
                (bin.r / bin.count, bin.g / bin.count, bin.b / bin.count)
            }
            guard !canvas.isEmpty else { return nil }
            // Close to a canvas colour: within JPEG's noise on a flat area, so a product photo's white
            // background is not taken for a light grey page.
            func isCanvas(_ x: Int, _ y: Int) -> Bool {
                let i = (y * width + x) * 3
                let r = Int(p[i]), g = Int(p[i + 1]), b = Int(p[i + 2])
                return canvas.contains { abs(r - $0.0) <= Self.tolerance && abs(g - $0.1) <= Self.tolerance && abs(b - $0.2) <= Self.tolerance }
            }
            // Blocks that are mostly content, and the largest rectangle of them (a histogram per row).
            let side = 4, columns = width / side, rows = height / side
            var heights = [Int](repeating: 0, count: columns)
            var best = (area: 0, x0: 0, y0: 0, x1: 0, y1: 0)
            var stack: [Int] = []
            for row in 0..<rows {
                for column in 0..<columns {
                    var content = 0
                    for y in (row * side)..<(row * side + side) {
                        for x in (column * side)..<(column * side + side) where !isCanvas(x, y) { content += 1 }
                    }
                    heights[column] = content * 2 >= side * side ? heights[column] + 1 : 0
                }
                stack.removeAll(keepingCapacity: true)
                for column in 0...columns {
                    let current = column < columns ? heights[column] : 0
                    while let top = stack.last, heights[top] >= current {
                        stack.removeLast()
                        let left = stack.last.map { $0 + 1 } ?? 0
                        let area = heights[top] * (column - left)
                        if area > best.area { best = (area, left, row - heights[top] + 1, column, row + 1) }
                    }
                    stack.append(column)
                }
            }
            let share = Double(best.area) / Double(max(1, columns * rows))
            guard share >= 0.08, share <= 0.85 else { return nil }
            var x0 = best.x0 * side, y0 = best.y0 * side, x1 = best.x1 * side, y1 = best.y1 * side
            func columnIsContent(_ x: Int) -> Bool {
                var content = 0
                for y in y0..<y1 where !isCanvas(x, y) { content += 1 }
                return content * 2 >= y1 - y0
            }
            func rowIsContent(_ y: Int) -> Bool {
                var content = 0
                for x in x0..<x1 where !isCanvas(x, y) { content += 1 }
                return content * 2 >= x1 - x0
            }
            for _ in 0..<2 {
                while x0 > 0 && columnIsContent(x0 - 1) { x0 -= 1 }
                while x0 < x1 - 8 && !columnIsContent(x0) { x0 += 1 }
                while x1 < width && columnIsContent(x1) { x1 += 1 }
                while x1 > x0 + 8 && !columnIsContent(x1 - 1) { x1 -= 1 }
                while y0 > 0 && rowIsContent(y0 - 1) { y0 -= 1 }
                while y0 < y1 - 8 && !rowIsContent(y0) { y0 += 1 }
                while y1 < height && rowIsContent(y1) { y1 += 1 }
                while y1 > y0 + 8 && !rowIsContent(y1 - 1) { y1 -= 1 }
            }
            return ImageRegion(x0: Double(x0) / Double(width), y0: Double(y0) / Double(height),
                               x1: Double(x1) / Double(width), y1: Double(y1) / Double(height))
        }
    }

    /// The two sides of a straight seam across the whole picture — the edge where two photos
    /// meet in a collage — when one stands out: a column (or row) in the middle 60 % whose mean
    /// colour step to its neighbour is at least four times the median step there.
    static func seam(_ image: PixelBuffer) -> (ImageRegion, ImageRegion)? {
        let width = image.width, height = image.height
        guard width >= 16, height >= 16 else { return nil }
        return image.pixels.withUnsafeBufferPointer { pixels -> (ImageRegion, ImageRegion)? in
            let p = pixels.baseAddress!
            func step(_ i: Int, _ j: Int) -> Int {
                abs(Int(p[i]) - Int(p[j])) + abs(Int(p[i + 1]) - Int(p[j + 1])) + abs(Int(p[i + 2]) - Int(p[j + 2]))
            }
            var columns = [Double](repeating: 0, count: width)
            var rows = [Double](repeating: 0, count: height)
            for y in 0..<height {
                for x in 1..<width { let i = (y * width + x) * 3; columns[x] += Double(step(i, i - 3)) }
            }
            for y in 1..<height {
                var total = 0
                for x in 0..<width { let i = (y * width + x) * 3; total += step(i, i - width * 3) }
                rows[y] = Double(total) / Double(width)
            }
            for x in columns.indices { columns[x] /= Double(height) }
            func strongest(_ profile: [Double]) -> (index: Int, strength: Double)? {
                let low = profile.count / 5, high = profile.count - profile.count / 5
                guard high > low + 2 else { return nil }
                let sorted = profile[low..<high].sorted()
                let median = max(sorted[sorted.count / 2], 1)
                var index = low
                for candidate in low..<high where profile[candidate] > profile[index] { index = candidate }
                let strength = profile[index] / median
                return strength >= 4 ? (index, strength) : nil
            }
            let vertical = strongest(columns), horizontal = strongest(rows)
            if let vertical, vertical.strength >= (horizontal?.strength ?? 0) {
                let f = Double(vertical.index) / Double(width)
                return (ImageRegion(x0: 0, y0: 0, x1: f, y1: 1), ImageRegion(x0: f, y0: 0, x1: 1, y1: 1))
            }
            if let horizontal {
                let f = Double(horizontal.index) / Double(height)
                return (ImageRegion(x0: 0, y0: 0, x1: 1, y1: f), ImageRegion(x0: 0, y0: f, x1: 1, y1: 1))
            }
            return nil
        }
    }
}
