import VitrineImaging

/// The two image feature blocks: a perceptual colour histogram and
/// mirror-pooled spatial patches, both unit length.
struct ImageFeatures {
    /// ``ColourSpace/binCount`` values: the foreground's colour histogram.
    var colour: [Float]
    /// ``PatchGrid/dimension`` values: shape, texture and layout of colour.
    var patches: [Float]

    init(_ pixels: PixelBuffer, side: Int = WorkingImage.side) {
        let image = WorkingImage(pixels, side: side)
        let mask = BackgroundMask(image)
        var histogram = [Float](repeating: 0, count: ColourSpace.binCount)
        histogram.withUnsafeMutableBufferPointer { bins in
            for index in 0..<(image.width * image.height) {
                ColourSpace.accumulate(r: image.red[index], g: image.green[index], b: image.blue[index],
                                       weight: mask.weights[index], into: bins.baseAddress!)
            }
        }
        ColourSpace.finish(&histogram)
        colour = histogram
        patches = PatchGrid.describe(image, mask: mask)
    }
}
