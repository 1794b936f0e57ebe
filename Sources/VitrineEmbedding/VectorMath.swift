/// Small vector helpers written as plain loops, so the result never depends
/// on how a compiler or a thread count would split a reduction.
public enum VectorMath {
    /// Scales `vector` to unit length (a zero vector stays zero).
    public static func normalize(_ vector: inout [Float]) {
        var sum: Float = 0
        for value in vector { sum += value * value }
        guard sum > 0 else { return }
        let scale = 1 / sum.squareRoot()
        for index in vector.indices { vector[index] *= scale }
    }

    /// Subtracts the mean of the values from each.
    public static func center(_ vector: inout [Float]) {
        guard !vector.isEmpty else { return }
        var sum: Float = 0
        for value in vector { sum += value }
        let mean = sum / Float(vector.count)
        for index in vector.indices { vector[index] -= mean }
    }

    /// The dot product; for unit vectors, the cosine similarity.
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different lengths")
        var sum: Float = 0
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for index in 0..<x.count { sum += x[index] * y[index] }
            }
        }
        return sum
    }

    /// Cosine similarity of two vectors of any length.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let norms = (dot(a, a) * dot(b, b)).squareRoot()
        return norms > 0 ? dot(a, b) / norms : 0
    }
}
