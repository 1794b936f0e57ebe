import Foundation
import Testing
@testable import VitrineEmbedding
import VitrineImaging
import VitrineTestSupport

/// Locating a photo inside a copy: on a page (canvas), in a collage.
@Suite("Region finder", .onOwnThreads)
struct RegionFinderTests {
    /// Photo-like pictures (the fixtures' drawings are products on white: a content box of their own).
    static let photo = PhotoCopies.texture(width: 240, height: 180, seed: 1)
    static let other = PhotoCopies.texture(width: 200, height: 200, seed: 2)

    @Test("a photo pasted on a page with a title bar and lines of text is found within 2 % of each edge")
    func canvas() throws {
        let page = PhotoCopies.canvas(Self.photo)
        let box = try #require(RegionFinder.contentBox(page))
        // Where PhotoCopies.canvas put it: at (5 %, 18 %) of the page, half the photo's size.
        let x0 = Double(page.width * 5 / 100) / Double(page.width), y0 = Double(page.height * 18 / 100) / Double(page.height)
        let small = Thumbnail.shrink(Self.photo, longestSide: max(Self.photo.width, Self.photo.height) / 2)
        let x1 = x0 + Double(small.width) / Double(page.width), y1 = y0 + Double(small.height) / Double(page.height)
        #expect(abs(box.x0 - x0) < 0.02 && abs(box.y0 - y0) < 0.02 && abs(box.x1 - x1) < 0.02 && abs(box.y1 - y1) < 0.02,
                "found \(box), expected \(ImageRegion(x0: x0, y0: y0, x1: x1, y1: y1))")
    }

    @Test("a photo that fills its frame, or one colour, has no content box; a product on white has its own")
    func noBox() throws {
        #expect(RegionFinder.contentBox(Self.photo) == nil)
        #expect(RegionFinder.contentBox(PixelBuffer(width: 120, height: 80, filledWith: (200, 30, 30))) == nil)
        #expect(RegionFinder.contentBox(PixelBuffer(width: 8, height: 8, filledWith: (0, 0, 0))) == nil)
        // A drawing of a product on white: the box is the product's, inside the white.
        let product = try FeatureTests.decode("fixtures/products/images/p01.jpg")
        let box = try #require(RegionFinder.contentBox(product))
        #expect(box.x0 > 0 && box.x1 < 1 && box.y0 > 0 && box.y1 < 1)
    }

    @Test("a side-by-side or stacked collage is split where the photos meet")
    func seam() throws {
        let collage = PhotoCopies.collage(Self.photo, Self.other)
        let (left, right) = try #require(RegionFinder.seam(collage))
        let join = Double(Self.photo.width) / Double(collage.width)
        #expect(abs(left.x1 - join) < 0.01 && left.x0 == 0 && right.x0 == left.x1 && right.x1 == 1)
        // Stacked: the same photos turned a quarter, side by side, turned back.
        let stacked = PhotoCopies.collage(Self.photo.applying(.right), Self.other.applying(.right)).applying(.left)
        let (top, bottom) = try #require(RegionFinder.seam(stacked))
        let share = Double(Self.photo.height) / Double(stacked.height) // whichever photo the turn put on top
        #expect(min(abs(top.y1 - share), abs(top.y1 - (1 - share))) < 0.01 && bottom.y0 == top.y1 && bottom.y1 == 1 && top.x1 == 1)
    }

    @Test("one photo, or a plain picture, has no seam")
    func noSeam() {
        #expect(RegionFinder.seam(Self.photo) == nil)
        #expect(RegionFinder.seam(PixelBuffer(width: 100, height: 100, filledWith: (10, 10, 10))) == nil)
    }

    @Test("views: a copy matches its photo better than another photo, and at least about as well as the wholes do")
    func views() throws {
        let model = ModelFixtures.model
        for copy in [PhotoCopies.canvas(Self.photo), PhotoCopies.collage(Self.photo, Self.other), PhotoCopies.crop(Self.photo, 0.1, 0.3, 0.7, 0.9),
                     PhotoCopies.banner(Self.photo), PhotoCopies.rotated(Self.photo, degrees: 10)] {
            let views = ImageViews(query: copy, model: model)
            let original = views.refine(views.match(Self.photo, model: model), in: Self.photo, model: model).score
            let wrong = views.refine(views.match(Self.other, model: model), in: Self.other, model: model).score
            let wholes = model.embedImage(copy).similarity(to: model.embedImage(Self.photo))
            #expect(original > wrong && original >= wholes - 0.02, "original \(original), other \(wrong), wholes \(wholes)")
        }
    }
}
