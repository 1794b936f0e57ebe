/// The EXIF Orientation tag (1–8): how the stored pixels must be turned to stand upright.
public enum Orientation: Int, Sendable, Codable, CaseIterable {
    /// Stored upright.
    case up = 1
    /// Mirrored left–right.
    case upMirrored = 2
    /// Rotated 180°.
    case down = 3
    /// Mirrored top–bottom.
    case downMirrored = 4
    /// Mirrored about the top-left to bottom-right diagonal (transpose).
    case leftMirrored = 5
    /// Must be rotated 90° clockwise to stand upright.
    case right = 6
    /// Mirrored about the top-right to bottom-left diagonal (transverse).
    case rightMirrored = 7
    /// Must be rotated 90° counter-clockwise to stand upright.
    case left = 8

    /// True when applying the orientation swaps width and height (5–8).
    public var swapsSides: Bool { rawValue >= 5 }

    /// The upright size of a stored `width`×`height` image.
    public func uprightSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsSides ? (height, width) : (width, height)
    }
}
