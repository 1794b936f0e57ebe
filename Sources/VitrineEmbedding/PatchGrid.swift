/// Spatial patches: the product's bounding box cut into a 4×4 grid; each cell
/// holds a histogram of gradient orientations (shape and texture) and its mean
/// colour as lightness (luma) and two opponent channels (red–green,
/// yellow–blue). Lightness weighs more than the opponent channels, so a
/// grayscale copy still describes nearly the same way. Pixels are shared
/// between neighbouring cells with bilinear weights and orientations between
/// neighbouring bins, so a few pixels of shift, crop or rotation change little.
///
/// Mirror pooling: cell (row, column) is added to the reflection of cell
/// (row, 3 − column) — reflected orientations θ → π − θ — so a horizontally
/// flipped photo gives exactly the same descriptor.
enum PatchGrid {
    static let cells = 4
    static let orientationBins = 8
    /// Orientation part: rows × column pairs × bins.
    static let orientationDimension = cells * (cells / 2) * orientationBins
    /// Lightness part: rows × column pairs.
    static let lightnessDimension = cells * (cells / 2)
    /// Opponent-colour part: rows × column pairs × (red–green, yellow–blue).
    static let chromaDimension = cells * (cells / 2) * 2
    /// Length of the patch descriptor.
    static let dimension = orientationDimension + lightnessDimension + chromaDimension
    /// Weight of the lightness part against the orientation part.
    static let lightnessShare: Float = 0.5
    /// Weight of the opponent-colour part against the orientation part.
    static let chromaShare: Float = 0.3

    static func describe(_ image: WorkingImage, mask: BackgroundMask) -> [Float] {
        let width = image.width, height = image.height
        let box = mask.box
        let boxWidth = Float(box.x1 - box.x0 + 1), boxHeight = Float(box.y1 - box.y0 + 1)
        let cellWidth = boxWidth / Float(cells), cellHeight = boxHeight / Float(cells)
        let orientation = UnsafeMutablePointer<Float>.allocate(capacity: cells * cells * orientationBins)
        let colourSum = UnsafeMutablePointer<Float>.allocate(capacity: cells * cells * 3)
        let colourWeight = UnsafeMutablePointer<Float>.allocate(capacity: cells * cells)
        orientation.initialize(repeating: 0, count: cells * cells * orientationBins)
        colourSum.initialize(repeating: 0, count: cells * cells * 3)
        colourWeight.initialize(repeating: 0, count: cells * cells)
        defer {
            orientation.deallocate()
            colourSum.deallocate()
            colourWeight.deallocate()
        }
        var luma = [Float](repeating: 0, count: width * height)
        for index in luma.indices {
            luma[index] = 0.299 * image.red[index] + 0.587 * image.green[index] + 0.114 * image.blue[index]
        }
        luma.withUnsafeBufferPointer { lumaBuffer in
        image.red.withUnsafeBufferPointer { redBuffer in
        image.green.withUnsafeBufferPointer { greenBuffer in
        image.blue.withUnsafeBufferPointer { blueBuffer in
        mask.weights.withUnsafeBufferPointer { weightBuffer in
            let lumaP = lumaBuffer.baseAddress!, redP = redBuffer.baseAddress!, greenP = greenBuffer.baseAddress!
            let blueP = blueBuffer.baseAddress!, weightP = weightBuffer.baseAddress!
                let binScale = Float(orientationBins) / Float.pi
                // Each column's cell and share, computed once rather than per pixel.
                let columns = (box.x0...box.x1).map { x in
                    let u = (Float(x - box.x0) + 0.5) / cellWidth - 0.5
                    let column0 = Int((u).rounded(.down))
                    return (column0, u - Float(column0))
                }
                for y in box.y0...box.y1 {
                    let v = (Float(y - box.y0) + 0.5) / cellHeight - 0.5
                    let row0 = Int((v).rounded(.down)), rowT = v - Float(row0)
                    for x in box.x0...box.x1 {
                        let index = y * width + x
                        let (column0, columnT) = columns[x - box.x0]
                        // Central differences, clamped at the picture's edges.
                        let gx = lumaP[y * width + min(x + 1, width - 1)] - lumaP[y * width + max(x - 1, 0)]
                        let gy = lumaP[min(y + 1, height - 1) * width + x] - lumaP[max(y - 1, 0) * width + x]
                        let magnitude = (gx * gx + gy * gy).squareRoot()
                        var angle = FastMath.atan2(gy, gx)
                        if angle < 0 { angle += Float.pi }
                        if angle >= Float.pi { angle -= Float.pi }
                        let position = angle * binScale - 0.5
                        let bin0Raw = Int((position).rounded(.down))
                        let binT = position - Float(bin0Raw)
                        let bin0 = (bin0Raw + orientationBins) % orientationBins
                        let bin1 = (bin0 + 1) % orientationBins
                        let weight = weightP[index]
                        let lightness = lumaP[index]
                        let redGreen = redP[index] - greenP[index]
                        let yellowBlue = 0.5 * (redP[index] + greenP[index]) - blueP[index]
                        let shares = (((1 - rowT) * (1 - columnT)), ((1 - rowT) * columnT), (rowT * (1 - columnT)), (rowT * columnT))
                        let low = magnitude * (1 - binT), high = magnitude * binT
                        @inline(__always) func add(_ row: Int, _ column: Int, _ share: Float) {
                            guard row >= 0, row < cells, column >= 0, column < cells, share > 0 else { return }
                            let cell = row * cells + column
                            orientation[cell * orientationBins + bin0] += share * low
                            orientation[cell * orientationBins + bin1] += share * high
                            let cwt = share * weight
                            colourSum[cell * 3] += cwt * lightness
                            colourSum[cell * 3 + 1] += cwt * redGreen
                            colourSum[cell * 3 + 2] += cwt * yellowBlue
                            colourWeight[cell] += cwt
                        }
                        add(row0, column0, shares.0)
                        add(row0, column0 + 1, shares.1)
                        add(row0 + 1, column0, shares.2)
                        add(row0 + 1, column0 + 1, shares.3)
                    }
                }
        }}}}}
        // Mirror pooling.
        var pooledOrientation = [Float](repeating: 0, count: orientationDimension)
        var pooledLightness = [Float](repeating: 0, count: lightnessDimension)
        var pooledChroma = [Float](repeating: 0, count: chromaDimension)
        for row in 0..<cells {
            for pair in 0..<(cells / 2) {
                let left = row * cells + pair, right = row * cells + (cells - 1 - pair)
                let out = row * (cells / 2) + pair
                for bin in 0..<orientationBins {
                    pooledOrientation[out * orientationBins + bin] =
                        orientation[left * orientationBins + bin]
                        + orientation[right * orientationBins + (orientationBins - 1 - bin)]
                }
                let total = colourWeight[left] + colourWeight[right]
                // An empty cell pair reads as white, like the background around the product.
                pooledLightness[out] = total > 0 ? (colourSum[left * 3] + colourSum[right * 3]) / total : 1
                for channel in 1...2 {
                    pooledChroma[out * 2 + channel - 1] =
                        total > 0 ? (colourSum[left * 3 + channel] + colourSum[right * 3 + channel]) / total : 0
                }
            }
        }
        // Orientation: square root (dampens strong edges). Orientation and lightness: the mean removed
        // (what every product shares says nothing about which product it is). Each part unit length.
        for index in pooledOrientation.indices { pooledOrientation[index] = pooledOrientation[index].squareRoot() }
        VectorMath.center(&pooledOrientation)
        VectorMath.normalize(&pooledOrientation)
        VectorMath.center(&pooledLightness)
        VectorMath.normalize(&pooledLightness)
        VectorMath.normalize(&pooledChroma) // not centred: grey is already zero
        var descriptor = pooledOrientation
        descriptor.reserveCapacity(dimension)
        for value in pooledLightness { descriptor.append(value * lightnessShare) }
        for value in pooledChroma { descriptor.append(value * chromaShare) }
        VectorMath.normalize(&descriptor)
        return descriptor
    }
}
