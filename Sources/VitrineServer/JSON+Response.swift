import HTTPTypes
import Hummingbird
import NIOCore
import VitrineCatalog

extension JSON {
    /// A JSON answer: `fields` as one object.
    static func response(_ status: HTTPResponse.Status, _ fields: [(String, Value)]) throws -> Response {
        var text = ""
        render(.object(fields), into: &text)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
