/// The perceptual colour histogram shared by images and colour words: HSV,
/// soft-binned, with achromatic pixels (white, greys, black) in bins of
/// their own so that they never smear across hues.
///
/// Layout (77 bins): 72 chromatic bins = 12 hues × 3 values (dark, mid,
/// bright) × 2 saturations (muted, vivid), then 5 achromatic bins by
/// lightness (black, dark grey, grey, light grey, white). Every pixel is
/// spread over its neighbouring bins with linear weights, so a small shift in
/// hue, brightness or saturation moves weight gradually instead of jumping.
enum ColourSpace {
    static let hueBins = 12
    static let valueBins = 3
    static let saturationBins = 2
    static let chromaticBins = hueBins * valueBins * saturationBins
    static let achromaticBins = 5
    /// Total histogram length.
    static let binCount = chromaticBins + achromaticBins

    /// Adds one pixel (sRGB components in 0...1) with `weight` to `histogram` (length ``binCount``).
    @inline(__always)
    static func accumulate(r: Float, g: Float, b: Float, weight: Float, into histogram: UnsafeMutablePointer<Float>) {
        let maximum = max(r, max(g, b))
        let minimum = min(r, min(g, b))
        let chroma = maximum - minimum
        // Chroma below 0.06 is grey; above 0.16 fully a colour; linear in between.
        let chromatic = min(max((chroma - 0.06) * 10, 0), 1)
        let luma = 0.299 * r + 0.587 * g + 0.114 * b

        if chromatic < 1 {
            // Achromatic: five lightness bins centred at 0, .25, .5, .75, 1.
            let position = min(max(luma * 4, 0), 4)
            let low = min(Int(position), 3)
            let t = position - Float(low)
            let w = weight * (1 - chromatic)
            histogram[chromaticBins + low] += w * (1 - t)
            histogram[chromaticBins + low + 1] += w * t
        }
        guard chromatic > 0 else { return }

        // Hue in [0, 12): bin centres at integer positions, circular.
        var hue: Float
        if maximum == r {
            hue = (g - b) / chroma
            if hue < 0 { hue += 6 }
        } else if maximum == g {
            hue = (b - r) / chroma + 2
        } else {
            hue = (r - g) / chroma + 4
        }
        let huePosition = hue * 2 // 6 sectors → 12 bins
        let h0 = Int(huePosition) % hueBins
        let h1 = (h0 + 1) % hueBins
        let ht = huePosition - Float(Int(huePosition))

        // Value (max) bins centred at 0.25, 0.6, 0.95; saturation bins at 0.35, 0.85.
        let (v0, v1, vt) = softBin(maximum, centres: (0.25, 0.6, 0.95))
        let saturation = chroma / max(maximum, 1e-6)
        let st = min(max((saturation - 0.35) * 2, 0), 1)
        let w = weight * chromatic
        let muted = 1 - st
        @inline(__always) func add(_ hue: Int, _ amount: Float) {
            let low = (hue * valueBins + v0) * saturationBins
            let high = (hue * valueBins + v1) * saturationBins
            let lowAmount = amount * (1 - vt), highAmount = amount * vt
            histogram[low] += lowAmount * muted
            histogram[low + 1] += lowAmount * st
            histogram[high] += highAmount * muted
            histogram[high + 1] += highAmount * st
        }
        add(h0, w * (1 - ht))
        add(h1, w * ht)
    }

    /// Linear soft binning between three centres: the two bins and the weight of the upper one.
    @inline(__always)
    private static func softBin(_ x: Float, centres: (Float, Float, Float)) -> (Int, Int, Float) {
        if x <= centres.0 { return (0, 0, 0) }
        if x < centres.1 { return (0, 1, (x - centres.0) / (centres.1 - centres.0)) }
        if x < centres.2 { return (1, 2, (x - centres.1) / (centres.2 - centres.1)) }
        return (2, 2, 0)
    }

    /// Turns accumulated weights into the feature: L1 share, square root
    /// (Hellinger), L2 unit length. All zeros stays all zeros.
    static func finish(_ histogram: inout [Float]) {
        var total: Float = 0
        for value in histogram { total += value }
        guard total > 0 else { return }
        var norm: Float = 0
        for index in histogram.indices {
            let value = (histogram[index] / total).squareRoot()
            histogram[index] = value
            norm += value * value
        }
        let scale = 1 / norm.squareRoot()
        for index in histogram.indices { histogram[index] *= scale }
    }
}
