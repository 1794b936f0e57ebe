import Foundation

/// Turns PNG and JPEG bytes into upright 8-bit RGB pixels, safely.
///
/// The format comes from the bytes. Limits are checked from the header before
/// any pixel memory is allocated. Every codec failure becomes an
/// ``ImagingError``; nothing aborts the process or prints.
///
/// Callers that need only a small image pass a `targetSize`: JPEG is then
/// decoded in the DCT domain at the smallest scale (1/2, 1/4, 1/8) whose
/// longer side still reaches the target, which is several times faster.
public struct ImageDecoder: Sendable {
    /// The limits applied to every file.
    public var limits: DecodeLimits

    /// Creates a decoder with the given limits.
    public init(limits: DecodeLimits = .default) {
        self.limits = limits
    }

    /// Reads header facts (format, upright size, orientation) without decoding pixels.
    public func info<Bytes: ContiguousBytes>(of bytes: Bytes) throws(ImagingError) -> ImageInfo {
        let result: Result<ImageInfo, ImagingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImagingError) in
                let header = try readHeader(raw)
                return ImageInfo(format: header.format, width: header.uprightWidth, height: header.uprightHeight,
                                 orientation: header.orientation, progressive: header.progressive)
            }
        }
        return try result.get()
    }

    /// Decodes `bytes` into upright RGB pixels.
    ///
    /// - Parameter targetSize: when set, the smallest size the longer side of the
    ///   result must keep (or the full size, if smaller); JPEG may then be
    ///   decoded at a DCT scale. `nil` decodes at full size.
    public func decode<Bytes: ContiguousBytes>(_ bytes: Bytes, targetSize: Int? = nil) throws(ImagingError) -> DecodedImage {
        let result: Result<DecodedImage, ImagingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ImagingError) in try decode(raw, targetSize: targetSize) }
        }
        return try result.get()
    }

    /// Reads a file (refusing it unread when it is above the encoded-size
    /// limit) and decodes it.
    public func decodeFile(atPath path: String, targetSize: Int? = nil) throws(ImagingError) -> DecodedImage {
        try decode(readFile(atPath: path), targetSize: targetSize)
    }

    /// Reads a whole file, refusing it before reading when it is above
    /// ``DecodeLimits/maxEncodedBytes``.
    public func readFile(atPath path: String) throws(ImagingError) -> [UInt8] {
        try FileReader.read(path: path, limit: limits.maxEncodedBytes)
    }

    /// The DCT scale denominator (1, 2, 4 or 8) for a stored `width`×`height`
    /// JPEG when its longer side must stay at least `targetSize` (or its full size).
    public static func scaleDenominator(width: Int, height: Int, targetSize: Int?) -> Int {
        guard let targetSize, targetSize > 0 else { return 1 }
        let longer = max(width, height), need = min(targetSize, longer)
        for denominator in [8, 4, 2] where (longer + denominator - 1) / denominator >= need {
            return denominator
        }
        return 1
    }

    // MARK: - Internals

    private func decode(_ raw: UnsafeRawBufferPointer, targetSize: Int?) throws(ImagingError) -> DecodedImage {
        let header = try readHeader(raw)
        let scale = header.format == .jpeg
            ? Self.scaleDenominator(width: header.storedWidth, height: header.storedHeight, targetSize: targetSize)
            : 1
        let outWidth = (header.storedWidth + scale - 1) / scale
        let outHeight = (header.storedHeight + scale - 1) / scale
        let stored = try PixelBuffer(width: outWidth, height: outHeight) { (buffer) throws(ImagingError) in
            try CodecBridge.decode(raw, format: header.format, scale: scale,
                                   maxPixels: limits.maxPixels, into: buffer)
        }
        return DecodedImage(format: header.format, orientation: header.orientation,
                            width: header.uprightWidth, height: header.uprightHeight,
                            scaleDenominator: scale, pixels: stored.applying(header.orientation))
    }

    private func readHeader(_ raw: UnsafeRawBufferPointer) throws(ImagingError) -> CodecBridge.Header {
        let format = try ImageFormat.detect(raw)
        if raw.count > limits.maxEncodedBytes {
            throw ImagingError(.tooLarge, "\(format.displayName) data of \(raw.count) bytes is above the limit of \(limits.maxEncodedBytes) bytes")
        }
        let header = try CodecBridge.readHeader(raw, format: format)
        try limits.check(width: header.storedWidth, height: header.storedHeight, format: format)
        return header
    }
}
