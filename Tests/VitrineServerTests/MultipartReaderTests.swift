import Foundation
import NIOCore
import Testing
@testable import VitrineServer
import VitrineCatalog
import VitrineTestSupport

/// The streaming multipart parser on its own: any split of the bytes, odd but legal framing, and hostile bytes.
@Suite("Multipart parsing")
struct MultipartReaderTests {
    static let limits = ProductForm.Limits(bodyBytes: 1 << 20, fields: .default, imageBytes: 1 << 20, parts: 16, partHeaderBytes: 8 << 10)

    static func parse(_ body: [UInt8], boundary: String = "B0und", chunk: Int = .max) throws -> ProductForm {
        let reader = MultipartReader(boundary: boundary, limits: limits, budget: nil)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + chunk)
            try reader.feed(ByteBuffer(bytes: body[offset..<end]))
            offset = end
        }
        return try reader.finish()
    }

    static let sample: [UInt8] = Array("""
        preamble to ignore\r
        --B0und\r
        Content-Disposition: form-data; name="product_id"\r
        \r
        p\r\n--B0unx 1\r
        --B0und  \t\r
        content-disposition: form-data; name="name"\r
        X-Other: ü\r
        \r
        Lampe \r
        --B0und\r
        Content-Disposition: form-data; name="image"; filename="a.bin"\r
        Content-Type: application/octet-stream\r
        \r

        """.utf8) + [0, 13, 10, 45, 45, 66, 13, 255, 13] + Array("\r\n--B0und--\r\nepilogue".utf8)

    @Test("every way of cutting the body into chunks gives the same fields and image")
    func chunking() throws {
        for chunk in [1, 2, 3, 5, 7, 13, 64, Int.max] {
            let form = try Self.parse(Self.sample, chunk: chunk)
            #expect(form.fields["product_id"] == "p\r\n--B0unx 1", "chunk \(chunk)")
            #expect(form.fields["name"] == "Lampe ", "chunk \(chunk)")
            #expect(form.image.map(Array.init) == [0, 13, 10, 45, 45, 66, 13, 255, 13], "chunk \(chunk)")
        }
    }

    @Test("hostile framing is a 400, never a trap: high bytes or junk in header names, no closing boundary, junk after a boundary")
    func hostile() throws {
        let cases: [String: [UInt8]] = [
            "high byte in a header name": Array("--B0und\r\n".utf8) + [0xC3, 0xA9] + Array(": x\r\n\r\nv\r\n--B0und--\r\n".utf8),
            "no colon": Array("--B0und\r\nContent-Disposition form-data\r\n\r\nv\r\n--B0und--\r\n".utf8),
            "empty name": Array("--B0und\r\n: v\r\n\r\nv\r\n--B0und--\r\n".utf8),
            "cut short": Array("--B0und\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nLam".utf8),
            "junk after a boundary": Array("--B0und junk\r\n\r\n--B0und--".utf8),
            "no boundary at all": Array("just bytes".utf8),
            "endless header": Array("--B0und\r\nX: \(String(repeating: "a", count: 10_000))".utf8),
        ]
        for (what, body) in cases {
            for chunk in [1, 3, Int.max] {
                #expect(throws: APIError.self, "\(what), chunk \(chunk)") { try Self.parse(body, chunk: chunk) }
            }
        }
        // Every byte value in a header name, one by one.
        for byte in UInt8.min...UInt8.max where byte != 13 && byte != 10 && byte != UInt8(ascii: ":") {
            let body = Array("--B0und\r\n".utf8) + [byte] + Array(": x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nv\r\n--B0und--\r\n".utf8)
            _ = try? Self.parse(body)
        }
    }

    @Test("fields over their limit and too many parts are refused while reading")
    func limits() throws {
        let long = Array("--B0und\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\(String(repeating: "n", count: 1_025))\r\n--B0und--\r\n".utf8)
        #expect { try Self.parse(long, chunk: 100) } throws: { ($0 as? APIError)?.code == "field_too_large" }
        var many: [UInt8] = []
        for index in 0..<17 { many += Array("--B0und\r\nContent-Disposition: form-data; name=\"x\(index)\"\r\n\r\nv\r\n".utf8) }
        many += Array("--B0und--\r\n".utf8)
        #expect { try Self.parse(many) } throws: { ($0 as? APIError)?.message.contains("16 parts") == true }
    }
}
