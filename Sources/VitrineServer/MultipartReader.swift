import Foundation
import NIOCore
import VitrineCatalog

/// `multipart/form-data` (RFC 7578), parsed as it arrives within
/// ``ProductForm/Limits``: at most so many parts, so many header bytes a part,
/// each text field within its limit, the image within the image limit and the
/// server's upload budget. The first limit passed ends the request; nothing
/// past it is read. Whatever the bytes, the answer is a form or an
/// ``APIError``: never a crash, never unbounded buffering.
///
/// (MultipartKit 4.7.1's streaming parser was used here first; it traps on a
/// part-header name byte ≥ 0x80, so one request could end the process.)
final class MultipartReader {
    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    private let delimiter: [UInt8]
    private let limits: ProductForm.Limits
    private let budget: UploadBudget?
    private var state = State.preamble
    /// Bytes received and not yet consumed (at most a header line or a delimiter's length between feeds).
    private var pending: [UInt8] = [13, 10] // the first delimiter may open the body without its CRLF
    private var form = ProductForm()
    private var parts = 0
    private var headerBytes = 0
    private var disposition: String?
    /// What the current part is read into (decided when its headers end).
    private enum Target { case text(String, limit: Int), image, skip }
    private var target = Target.skip
    private var text: [UInt8] = []
    private var image = Data()
    /// The body's declared length, and the bytes fed so far: an image part is given one buffer
    /// of the size the rest of the body can hold, so it is never copied while it grows.
    private let declaredLength: Int?
    private var fed = 0

    init(boundary: String, limits: ProductForm.Limits, budget: UploadBudget?, declaredLength: Int? = nil) {
        self.declaredLength = declaredLength
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.limits = limits
        self.budget = budget
    }

    static func bad(_ why: String) -> APIError {
        APIError(.badRequest, "bad_request", "the multipart body cannot be read: \(why)")
    }

    func feed(_ chunk: ByteBuffer) throws {
        fed += chunk.readableBytes
        pending.append(contentsOf: chunk.readableBytesView)
        var position = 0
        defer { pending.removeFirst(position) }
        while position < pending.count {
            switch state {
            case .epilogue:
                position = pending.count
            case .preamble, .body:
                let (found, end) = findDelimiter(from: position)
                let dataEnd = found ?? end
                if state == .body && dataEnd > position { try body(pending[position..<dataEnd]) }
                position = dataEnd
                guard found != nil else { return } // the rest may be the start of a delimiter: wait for more
                position += delimiter.count
                if state == .body { try partComplete() }
                state = .afterDelimiter
            case .afterDelimiter:
                // "--" closes the body; otherwise optional padding, then CRLF, then the next part's headers.
                guard pending.count - position >= 2 else { return }
                if pending[position] == UInt8(ascii: "-") && pending[position + 1] == UInt8(ascii: "-") {
                    state = .epilogue
                    position = pending.count
                    continue
                }
                var index = position
                while index < pending.count && (pending[index] == 0x20 || pending[index] == 0x09) { index += 1 }
                guard index + 1 < pending.count else {
                    if index - position > 64 { throw Self.bad("a boundary line is followed by junk") }
                    return
                }
                guard pending[index] == 13 && pending[index + 1] == 10 else { throw Self.bad("a boundary line is followed by junk") }
                position = index + 2
                try startPart()
            case .headers:
                guard let lineEnd = findCRLF(from: position) else {
                    if headerBytes + (pending.count - position) > limits.partHeaderBytes {
                        throw Self.bad("a part's headers are above \(limits.partHeaderBytes) bytes")
                    }
                    return
                }
                headerBytes += lineEnd - position + 2
                guard headerBytes <= limits.partHeaderBytes else { throw Self.bad("a part's headers are above \(limits.partHeaderBytes) bytes") }
                if lineEnd == position {
                    beginBody()
                } else {
                    try header(pending[position..<lineEnd])
                }
                position = lineEnd + 2
            }
        }
    }

    /// The form, once the whole body has been fed.
    func finish() throws -> ProductForm {
        guard state == .epilogue else { throw Self.bad("it ends before its closing boundary") }
        return form
    }

    /// Gives back the budget taken (when the request fails).
    func releaseBudget() {
        budget?.release(form.reserved)
        form.reserved = 0
    }

    // MARK: parts

    private func startPart() throws {
        parts += 1
        guard parts <= limits.parts else { throw Self.bad("it has more than \(limits.parts) parts") }
        headerBytes = 0
        disposition = nil
        state = .headers
    }

    private func header(_ line: ArraySlice<UInt8>) throws {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
              line[line.startIndex..<colon].allSatisfy(Self.isTokenByte) else {
            throw Self.bad("a part has a malformed header line")
        }
        let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
        if name == "content-disposition" {
            disposition = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
    }

    private func beginBody() {
        let name = disposition.flatMap { ProductForm.parameter("name", in: $0) } ?? ""
        if name == "image", let limit = limits.imageBytes, form.image == nil {
            target = .image
            // Address space only: pages become resident as bytes arrive (and are counted in the budget then).
            if let declaredLength { image.reserveCapacity(max(0, min(limit, declaredLength - fed + pending.count))) }
        } else if let limit = ProductForm.limit(of: name, limits.fields), form.fields[name] == nil {
            target = .text(name, limit: limit)
        } else {
            target = .skip
        }
        state = .body
    }

    private func body(_ bytes: ArraySlice<UInt8>) throws {
        switch target {
        case .image:
            let limit = limits.imageBytes ?? 0
            guard image.count + bytes.count <= limit else {
                throw APIError(.contentTooLarge, "too_large", "the image is above the limit of \(limit) bytes")
            }
            if let budget {
                guard budget.reserve(bytes.count) else {
                    throw APIError(.tooManyRequests, "too_many_uploads",
                                   "the server holds as many uploads as it can right now; retry in a moment", retryAfter: 1)
                }
                form.reserved += bytes.count
            }
            image.append(contentsOf: bytes)
        case .text(let name, let limit):
            guard text.count + bytes.count <= limit else { throw APIError.tooLarge(name, limit: limit) }
            text.append(contentsOf: bytes)
        case .skip:
            break
        }
    }

    private func partComplete() throws {
        switch target {
        case .image: form.image = image
        case .text(let name, _): form.fields[name] = String(decoding: text, as: UTF8.self)
        case .skip: break
        }
        target = .skip
        text = []
        image = Data()
    }

    // MARK: scanning

    /// The delimiter's first index at or after `start`, or (nil, where unscanned bytes begin): the
    /// bytes from there might be a delimiter cut by the chunk's end.
    private func findDelimiter(from start: Int) -> (Int?, Int) {
        let count = pending.count, length = delimiter.count
        return pending.withUnsafeBufferPointer { bytes -> (Int?, Int) in
            var index = start
            while index < count {
                guard let raw = memchr(bytes.baseAddress! + index, 13, count - index) else { return (nil, count) }
                let at = bytes.baseAddress!.distance(to: raw.assumingMemoryBound(to: UInt8.self))
                if at + length > count {
                    // Too close to the end to tell: keep from here if what there is matches so far.
                    if memcmp(bytes.baseAddress! + at, delimiter, count - at) == 0 { return (nil, at) }
                } else if memcmp(bytes.baseAddress! + at, delimiter, length) == 0 {
                    return (at, at)
                }
                index = at + 1
            }
            return (nil, count)
        }
    }

    private func findCRLF(from start: Int) -> Int? {
        var index = start
        while index + 1 < pending.count {
            if pending[index] == 13 && pending[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// RFC 9110 token characters (header names).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
