/// multipart/form-data bodies as a browser or `requests` sends them.
public enum Multipart {
    /// One part: a field (`filename` nil) or a file.
    public struct Part: Sendable {
        /// The field's name.
        public var name: String
        /// The file's name, for a file part.
        public var filename: String?
        /// The file's type, for a file part.
        public var contentType: String
        /// The bytes.
        public var value: [UInt8]

        /// A text field.
        public static func field(_ name: String, _ value: String) -> Part {
            Part(name: name, filename: nil, contentType: "", value: Array(value.utf8))
        }

        /// A file.
        public static func file(_ name: String, filename: String, contentType: String = "application/octet-stream",
                                _ bytes: [UInt8]) -> Part {
            Part(name: name, filename: filename, contentType: contentType, value: bytes)
        }
    }

    /// The body of `parts` with `boundary` (send with `Content-Type: multipart/form-data; boundary=<boundary>`).
    public static func body(_ parts: [Part], boundary: String) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"\r\nContent-Type: \(part.contentType)" }
            head += "\r\n\r\n"
            body += Array(head.utf8) + part.value + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    /// A whole `POST /api/v1/index-product-with-image` request for a product and its image.
    public static func uploadRequest(productID: String, name: String, image: [UInt8], headers: [(String, String)] = [],
                                     query: String = "") -> [UInt8] {
        let boundary = "vitrine-probe-boundary"
        let body = Self.body([.field("product_id", productID), .field("name", name),
                              .file("image", filename: "photo.jpg", contentType: "image/jpeg", image)], boundary: boundary)
        return RawHTTP.request("POST", "/api/v1/index-product-with-image" + query,
                               headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")] + headers, body: body)
    }
}
