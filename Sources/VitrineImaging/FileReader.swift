#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let posixRead = Glibc.read
#elseif canImport(Darwin)
private let posixRead = Darwin.read
#endif

/// Reads whole files with POSIX calls, refusing oversized ones before reading.
enum FileReader {
    static func read(path: String, limit: Int) throws(ImagingError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ImagingError(.unreadable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 {
            throw ImagingError(.unreadable, "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let kind = status.st_mode & S_IFMT
        if kind == S_IFDIR { throw ImagingError(.unreadable, "\(path) is a directory, not an image file") }
        if kind == S_IFREG && Int(status.st_size) > limit {
            throw ImagingError(.tooLarge, "\(path) is \(status.st_size) bytes, above the limit of \(limit) bytes")
        }
        // Regular files are read in one allocation of their size; pipes grow up to the limit + 1.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(kind == S_IFREG ? Int(status.st_size) : 65_536)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImagingError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                throw ImagingError(.tooLarge, "\(path) is more than \(limit) bytes, the limit")
            }
        }
        return bytes
    }
}
