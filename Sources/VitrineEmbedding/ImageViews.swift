import VitrineImaging

/// Views of a query picture, for recognising a catalogue photo in a copy that crops it,
/// rotates it, puts a banner over it, sets it on a canvas or beside another photo — where one
/// vector of the whole picture cannot (see README.md, "Copies").
///
/// A view is a region's image vector, computed as the model computes any image's, on a
/// working image of ``side`` pixels. The query's views are the whole picture, its centre
/// (a rotation's corners cut off), the picture without a strip at the top or the bottom (a
/// banner), its left and right halves (a collage of two photos on white, which has no seam), and what ``RegionFinder`` locates in it: a photo on a canvas, the two photos of a
/// collage. A catalogue photo's views are the whole, its centre, and windows of 60 % of each
/// side — nine on a coarse grid, then (``refine(_:in:model:)``, for the best few photos only)
/// the eight around the best one, a tenth of a side away (a copy that is a window of the photo). The match is the best cosine of any view of the
/// query with any view of the photo, so it is never below the cosine of the wholes.
public struct ImageViews: Sendable {
    /// The working side of a view: smaller than the model's (64), as fast and as exact for
    /// telling copies apart (measured: BENCHMARKS.md, "Copies").
    static let side = 40
    /// The side of a catalogue photo's windows, as a fraction of the photo's.
    static let windowSize = 0.6

    /// The query's regions, the whole picture first.
    public let regions: [ImageRegion]
    /// The regions ``RegionFinder`` located: worth looking up in an index of whole photos too.
    public let located: [ImageRegion]
    private let vectors: [[Float]]

    /// The views of a query picture.
    public init(query pixels: PixelBuffer, model: EmbeddingModel) {
        var regions: [ImageRegion] = [.whole, .centre(margin: 0.15),
                                      ImageRegion(x0: 0, y0: 0, x1: 1, y1: 0.85), ImageRegion(x0: 0, y0: 0.15, x1: 1, y1: 1),
                                      ImageRegion(x0: 0, y0: 0, x1: 0.5, y1: 1), ImageRegion(x0: 0.5, y0: 0, x1: 1, y1: 1)]
        var located: [ImageRegion] = []
        if let box = RegionFinder.contentBox(pixels) { located.append(box) }
        if let (first, second) = RegionFinder.seam(pixels) { located += [first, second] }
        regions += located
        self.regions = regions
        self.located = located
        vectors = regions.map { Self.view($0, of: pixels, model: model) }
    }

    /// How these views match a catalogue photo: the best cosine of any of them with the photo's
    /// whole, centre and coarse windows (``score``), and where its best window lies, for ``refine(_:in:model:)``.
    public struct Match: Sendable {
        /// The best cosine so far.
        public fileprivate(set) var score: Float
        fileprivate var window: (x: Int, y: Int, score: Float)
        fileprivate var refined = false
    }

    /// The first, coarse comparison with a catalogue photo (whole, centre, a 3 × 3 grid of windows).
    public func match(_ photo: PixelBuffer, model: EmbeddingModel) -> Match {
        var score = max(best(.whole, of: photo, model: model), best(.centre(margin: 0.1), of: photo, model: model))
        var window = (x: 0, y: 0, score: -Float.infinity)
        for y in 0...2 {
            for x in 0...2 {
                let s = best(Self.window(2 * x, 2 * y), of: photo, model: model)
                if s > window.score { window = (2 * x, 2 * y, s) }
            }
        }
        score = max(score, window.score)
        return Match(score: score, window: window)
    }

    /// The match improved by the windows around its best one, half a grid step away.
    public func refine(_ match: Match, in photo: PixelBuffer, model: EmbeddingModel) -> Match {
        guard !match.refined else { return match }
        var refined = match
        refined.refined = true
        for dy in -1...1 {
            for dx in -1...1 where dx != 0 || dy != 0 {
                let x = match.window.x + dx, y = match.window.y + dy
                guard (0...4).contains(x), (0...4).contains(y) else { continue }
                refined.score = max(refined.score, best(Self.window(x, y), of: photo, model: model))
            }
        }
        return refined
    }

    /// The window at (`x`, `y`) on a 5 × 5 grid of positions (steps of a tenth of the side).
    private static func window(_ x: Int, _ y: Int) -> ImageRegion {
        let step = (1 - windowSize) / 4
        return .window(x: Double(x) * step, y: Double(y) * step, size: windowSize)
    }

    /// The best cosine of these views with one view of the photo.
    private func best(_ region: ImageRegion, of photo: PixelBuffer, model: EmbeddingModel) -> Float {
        let view = Self.view(region, of: photo, model: model)
        var score = -Float.infinity
        for vector in vectors { score = max(score, VectorMath.dot(vector, view)) }
        return score
    }

    /// A region's view: its image vector's image half (the text half of an image vector is zero).
    static func view(_ region: ImageRegion, of pixels: PixelBuffer, model: EmbeddingModel) -> [Float] {
        Array(model.imageVector(region.pixels(of: pixels), side: side).prefix(ModelSpec.imageSubspace))
    }

}
