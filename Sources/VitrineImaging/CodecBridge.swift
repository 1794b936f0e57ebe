import CVitrineCodecs

/// The only place that calls the C codecs: pointers stay here.
enum CodecBridge {
    /// Header facts as the codecs report them, plus the orientation read from EXIF.
    struct Header {
        var format: ImageFormat
        var storedWidth: Int
        var storedHeight: Int
        var orientation: Orientation
        var progressive: Bool

        var uprightWidth: Int { orientation.uprightSize(width: storedWidth, height: storedHeight).width }
        var uprightHeight: Int { orientation.uprightSize(width: storedWidth, height: storedHeight).height }
    }

    /// Largest EXIF block kept (a JPEG APP1 segment is at most 65,533 bytes).
    private static let exifCapacity = 65_536

    static func readHeader(_ raw: UnsafeRawBufferPointer, format: ImageFormat) throws(ImagingError) -> Header {
        guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ImagingError(.empty, "the file is empty (0 bytes)")
        }
        var info = vt_image_info()
        var error = vt_error()
        var exif = [UInt8](repeating: 0, count: 0)
        let status = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: exifCapacity) { exifBuffer in
            let status: vt_status
            switch format {
            case .jpeg:
                status = vt_jpeg_read_header(base, raw.count, 1, exifBuffer.baseAddress, exifCapacity, &info, &error)
            case .png:
                status = vt_png_read_header(base, raw.count, exifBuffer.baseAddress, exifCapacity, &info, &error)
            }
            if status == VT_OK && info.exif_length > 0 {
                exif = Array(exifBuffer.prefix(Int(info.exif_length)))
            }
            return status
        }
        try check(status, error, format: format)
        let orientation = exif.isEmpty ? .up : (EXIFReader.orientation(in: exif) ?? .up)
        return Header(format: format, storedWidth: Int(info.width), storedHeight: Int(info.height),
                      orientation: orientation, progressive: info.progressive != 0)
    }

    static func decode(_ raw: UnsafeRawBufferPointer, format: ImageFormat, scale: Int, maxPixels: Int,
                       into output: UnsafeMutableBufferPointer<UInt8>) throws(ImagingError) {
        guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ImagingError(.empty, "the file is empty (0 bytes)")
        }
        var error = vt_error()
        let status: vt_status
        switch format {
        case .jpeg:
            status = vt_jpeg_decode(base, raw.count, Int32(scale), UInt64(maxPixels),
                                    output.baseAddress, output.count, &error)
        case .png:
            status = vt_png_decode(base, raw.count, UInt64(maxPixels), output.baseAddress, output.count, &error)
        }
        try check(status, error, format: format)
    }

    /// The libjpeg-turbo and libpng versions linked in.
    static var versions: String { String(cString: vt_codec_versions()) }

    private static func check(_ status: vt_status, _ error: vt_error, format: ImageFormat) throws(ImagingError) {
        if status == VT_OK { return }
        let detail = withUnsafeBytes(of: error.message) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let name = format.displayName
        switch status {
        case VT_ERR_TRUNCATED:
            throw ImagingError(.truncated, "\(name) data ends before the image does (\(detail))")
        case VT_ERR_TOO_LARGE:
            throw ImagingError(.tooLarge, "\(name) image is above the size limit (\(detail))")
        case VT_ERR_UNSUPPORTED:
            throw ImagingError(.unsupportedFormat, "\(name) variant not supported (\(detail))")
        case VT_ERR_NO_MEMORY:
            throw ImagingError(.outOfMemory, "not enough memory to decode this \(name) (\(detail))")
        case VT_ERR_INVALID_ARGUMENT:
            throw ImagingError(.corrupt, "\(name) decoder refused the request (\(detail))")
        default:
            throw ImagingError(.corrupt, "\(name) data is damaged (\(detail))")
        }
    }
}
