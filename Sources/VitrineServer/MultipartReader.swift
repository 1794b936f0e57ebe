import Foundation
import MultipartKit
import NIOCore
import VitrineCatalog

/// `multipart/form-data`, parsed as it arrives with MultipartKit's streaming
/// parser, within ``ProductForm/Limits``: at most so many parts, so many
/// header bytes a part, each text field within its limit, the image within
/// the image limit and the server's upload budget. The first limit passed
/// ends the request; nothing past it is read.
final class MultipartReader {
    private let parser: MultipartParser
    private let limits: ProductForm.Limits
    private let budget: UploadBudget?
    private var form = ProductForm()
    private var failure: APIError?
    private var parts = 0
    private var headerBytes = 0
    private var disposition: String?
    /// What the current part is read into (decided at its first body byte).
    private enum Target { case undecided, text(String, limit: Int), image, skip }
    private var target = Target.undecided
    private var text: [UInt8] = []
    private var image = Data()
    /// Bytes fed since the parser last called back: bounds what it can buffer inside a header.
    private var silentBytes = 0
    /// The parser is fed this much at a time, so a header is checked every slice.
    private static let slice = 16 << 10

    init(boundary: String, limits: ProductForm.Limits, budget: UploadBudget?) {
        parser = MultipartParser(boundary: boundary)
        self.limits = limits
        self.budget = budget
        parser.onHeader = { [unowned self] name, value in header(name, value) }
        parser.onBody = { [unowned self] chunk in body(&chunk) }
        parser.onPartComplete = { [unowned self] in partComplete() }
    }

    func feed(_ chunk: ByteBuffer) throws {
        var chunk = chunk
        while chunk.readableBytes > 0, let piece = chunk.readSlice(length: min(Self.slice, chunk.readableBytes)) {
            silentBytes += piece.readableBytes
            do { try parser.execute(piece) } catch {
                throw APIError(.badRequest, "bad_request", "the multipart body cannot be read: it is not valid multipart/form-data")
            }
            if let failure { throw failure }
            if silentBytes > limits.partHeaderBytes + Self.slice {
                throw APIError(.badRequest, "bad_request", "a multipart part's headers are above \(limits.partHeaderBytes) bytes")
            }
        }
    }

    /// The form, once the whole body has been fed.
    func finish() throws -> ProductForm {
        if let failure { throw failure }
        return form
    }

    /// Gives back the budget taken (when the request fails).
    func releaseBudget() {
        budget?.release(form.reserved)
        form.reserved = 0
    }

    private func fail(_ error: APIError) {
        if failure == nil { failure = error }
    }

    private func header(_ name: String, _ value: String) {
        silentBytes = 0
        headerBytes += name.utf8.count + value.utf8.count + 4
        if headerBytes > limits.partHeaderBytes {
            fail(APIError(.badRequest, "bad_request", "a multipart part's headers are above \(limits.partHeaderBytes) bytes"))
        }
        if name.lowercased() == "content-disposition" { disposition = value }
    }

    private func decideTarget() {
        guard case .undecided = target else { return }
        let name = disposition.flatMap { ProductForm.parameter("name", in: $0) } ?? ""
        if name == "image", limits.imageBytes != nil, form.image == nil {
            target = .image
        } else if let limit = ProductForm.limit(of: name, limits.fields), form.fields[name] == nil {
            target = .text(name, limit: limit)
        } else {
            target = .skip
        }
    }

    private func body(_ chunk: inout ByteBuffer) {
        silentBytes = 0
        guard failure == nil else { return }
        decideTarget()
        switch target {
        case .image:
            let count = chunk.readableBytes
            guard image.count + count <= limits.imageBytes ?? 0 else {
                return fail(APIError(.contentTooLarge, "too_large", "the image is above the limit of \(limits.imageBytes ?? 0) bytes"))
            }
            guard budget?.reserve(count) ?? true else {
                return fail(APIError(.tooManyRequests, "too_many_uploads",
                                     "the server holds as many uploads as it can right now; retry in a moment", retryAfter: 1))
            }
            form.reserved += budget == nil ? 0 : count
            image.append(contentsOf: chunk.readableBytesView)
        case .text(let name, let limit):
            guard text.count + chunk.readableBytes <= limit else { return fail(APIError.tooLarge(name, limit: limit)) }
            text.append(contentsOf: chunk.readableBytesView)
        case .skip, .undecided:
            break
        }
    }

    private func partComplete() {
        silentBytes = 0
        parts += 1
        if parts > limits.parts {
            fail(APIError(.badRequest, "bad_request", "the multipart body has more than \(limits.parts) parts"))
        }
        decideTarget() // an empty part has had no body bytes
        switch target {
        case .image: form.image = image
        case .text(let name, _): form.fields[name] = String(decoding: text, as: UTF8.self)
        case .skip, .undecided: break
        }
        target = .undecided
        text = []
        image = Data()
        headerBytes = 0
        disposition = nil
    }
}
