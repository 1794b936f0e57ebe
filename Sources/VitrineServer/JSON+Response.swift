import HTTPTypes
import Hummingbird
import NIOCore
import VitrineCatalog

extension JSON {
    /// A JSON answer: `fields` as one object.
    static func response(_ status: HTTPResponse.Status, _ fields: [(String, Value)]) throws -> Response {
        try response(status, .object(fields))
    }

    /// A JSON answer: one value in its shape (``JSON/product(_:)``, ``JSON/job(_:)``, …).
    static func response(_ status: HTTPResponse.Status, _ value: Value) throws -> Response {
        var text = ""
        render(value, into: &text)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
