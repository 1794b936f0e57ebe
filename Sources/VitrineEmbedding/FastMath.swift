/// Deterministic approximations that cost a few multiplications (same result on every platform).
enum FastMath {
    /// atan2 with an error under 0.0015 radians.
    @inline(__always)
    static func atan2(_ y: Float, _ x: Float) -> Float {
        let ax = abs(x), ay = abs(y)
        if ax == 0 && ay == 0 { return 0 }
        let a = min(ax, ay) / max(ax, ay)
        let s = a * a
        var r = ((-0.046_496_474_9 * s + 0.159_314_22) * s - 0.327_622_764) * s * a + a
        if ay > ax { r = 1.570_796_33 - r }
        if x < 0 { r = 3.141_592_65 - r }
        return y < 0 ? -r : r
    }
}
