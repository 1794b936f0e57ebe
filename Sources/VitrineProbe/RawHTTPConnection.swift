import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 response as read off the wire.
public struct RawResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, names lower-cased, in order.
    public var headers: [(name: String, value: String)]
    /// The body (Content-Length or chunked, decoded).
    public var body: [UInt8]

    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name == name }?.value
    }
}

/// A plain TCP connection to a server (on 127.0.0.1 unless told) that sends whatever bytes
/// it is given — well-formed or not, all at once or a byte at a time — and
/// reads responses with a deadline. For tests and benchmarks that must behave
/// like slow, careless or hostile clients, which an HTTP library will not.
/// One thread may send while another reads; two must not read at once.
public final class RawHTTPConnection: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closedByPeer = false

    /// Connects to `host`:`port` (an IPv4 address; 127.0.0.1 by default).
    public init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // On failure deinit closes the socket (it runs: every property is set).
        guard result == 0 else { throw RawHTTPError("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sends `bytes`; false when the server has closed the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 {
                if sent < 0 && errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads available bytes into the buffer, waiting at most `timeout` seconds; false on timeout.
    private func fill(timeout: Double) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(max(0, timeout * 1000)))
        if ready == 0 { return false }
        if ready < 0 { if errno == EINTR { return true }; throw RawHTTPError("poll failed: errno \(errno)") }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65_536, 0) }
        if count <= 0 {
            closedByPeer = true
            return true
        }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// True when the server closes the connection within `timeout` seconds (bytes it sends meanwhile are kept).
    public func waitForClose(timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !closedByPeer {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            _ = try fill(timeout: left)
        }
        return true
    }

    /// The next response, or nil when the connection closed before one came; throws after `timeout` seconds.
    public func readResponse(timeout: Double, headRequest: Bool = false) throws -> RawResponse? {
        let deadline = Date().addingTimeInterval(timeout)
        func more() throws -> Bool {
            if closedByPeer { return false }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, try fill(timeout: left) else { throw RawHTTPError("no response within \(timeout) s") }
            return true
        }
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil, try !more() { return nil }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError("bad status line: \(head.prefix(80))") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        buffer.removeFirst(headEnd! + 4)
        var response = RawResponse(status: status, headers: headers, body: [])
        if headRequest || status == 204 || status == 304 { return response }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                var lineEnd = Self.find([13, 10], in: buffer)
                while lineEnd == nil { guard try more() else { return response }; lineEnd = Self.find([13, 10], in: buffer) }
                let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw RawHTTPError("bad chunk size") }
                while buffer.count < lineEnd! + 2 + size + 2 { guard try more() else { return response } }
                response.body.append(contentsOf: buffer[(lineEnd! + 2)..<(lineEnd! + 2 + size)])
                buffer.removeFirst(lineEnd! + 2 + size + 2)
                if size == 0 { return response }
            }
        }
        let length = Int(response.header("content-length") ?? "") ?? 0
        while buffer.count < length { guard try more() else { break } }
        response.body = Array(buffer.prefix(length))
        buffer.removeFirst(min(length, buffer.count))
        return response
    }

    /// Where `needle` first starts in `haystack`.
    public static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

/// A request as bytes: the request line, headers with a correct Content-Length, the body.
public enum RawHTTP {
    /// The bytes of `method path` with `headers` and `body` (`Connection: close` unless `keepAlive`).
    public static func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                               keepAlive: Bool = false) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { head += "Content-Length: \(body.count)\r\n" }
        if !keepAlive { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Sends one request on a new connection and reads its response (nil: closed without one).
    public static func send(port: Int, host: String = "127.0.0.1", _ bytes: [UInt8], timeout: Double = 10,
                            headRequest: Bool = false) throws -> RawResponse? {
        let connection = try RawHTTPConnection(port: port, host: host)
        guard connection.send(bytes) else { return try connection.readResponse(timeout: timeout, headRequest: headRequest) }
        return try connection.readResponse(timeout: timeout, headRequest: headRequest)
    }
}

/// A failure of the raw client itself (cannot connect, no answer in time).
public struct RawHTTPError: Error, CustomStringConvertible {
    /// What happened.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking client work (sockets, sleeps) on a thread of its own, so a test
/// awaiting it never blocks the cooperative pool that an in-process server needs.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
