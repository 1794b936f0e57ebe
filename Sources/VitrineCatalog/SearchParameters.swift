import Foundation
import VitrineStore

/// A search request's fields read into what to compare (a vector kind) and ``SearchOptions``:
/// the one set of rules of the HTTP API (JSON, form or multipart fields, a GET's query) and the
/// CLI (whose flags are given as the same fields). Each bad field is a ``CatalogError`` naming it.
///
/// | field | meaning |
/// |---|---|
/// | `mode` | `fused`, `text`, `image` or `hybrid` (default: `image` for a picture, else `fused`) |
/// | `limit` (or the old `top_k`) | results per page, 1 to ``FieldLimits/topK`` (default 10) |
/// | `offset` | results skipped; `offset + limit` at most ``SearchOptions/maxWindow`` (hybrid: ``CatalogSearch/hybridDepth``) |
/// | `cursor` | the `next` of the previous page (instead of `offset`) |
/// | `filter` | a ``Filter`` as JSON |
/// | `min_score` | drop results scoring below it |
/// | `facets` | attribute names, a JSON array or comma-separated |
/// | `facet_limit` | values per facet (default 10, at most 100) |
/// | `hybrid_weight` | the lexical ranking's weight in `hybrid` mode, 0 to 1 |
public struct SearchParameters: Sendable {
    /// Which stored vectors are compared (`fused` for hybrid).
    public var kind: VectorKind
    /// The rest.
    public var options: SearchOptions
    /// What identifies the search (every field but the page's position), for cursors.
    public var fingerprint: String

    /// The fields read (those a request may carry), with their byte limits.
    public static let fields: [String: Int] = [
        "mode": 64, "top_k": 64, "limit": 64, "offset": 64, "cursor": 256, "filter": Filter.maxBytes,
        "min_score": 64, "facets": 4 << 10, "facet_limit": 64, "hybrid_weight": 64,
    ]

    /// Reads the fields. `image` says whether the query is a picture; `lexicalWeight` is the
    /// hybrid weight when the request gives none; `identity` adds what else identifies the query
    /// (its text or image digest, the product of `similar`) to the cursor's fingerprint.
    public static func read(_ fields: [String: String], image: Bool, limits: FieldLimits, lexicalWeight: Double,
                            identity: String) throws(CatalogError) -> SearchParameters {
        for (name, limit) in Self.fields {
            if let value = fields[name], value.utf8.count > limit { throw CatalogError.tooLarge(name, limit: limit) }
        }
        var options = SearchOptions()
        let mode = fields["mode"]
        let kind: VectorKind
        switch mode {
        case nil: kind = image ? .image : .fused
        case "hybrid":
            kind = .fused
            options.lexicalWeight = lexicalWeight
        case let text?:
            guard let given = VectorKind(rawValue: text) else { throw invalid("mode", "must be fused, text, image or hybrid") }
            kind = given
        }
        if let text = fields["hybrid_weight"] {
            guard let weight = Double(text), weight.isFinite, (0...1).contains(weight) else {
                throw invalid("hybrid_weight", "must be a number from 0 to 1")
            }
            guard options.lexicalWeight != nil else { throw invalid("hybrid_weight", "is only for the hybrid mode (give \"mode\": \"hybrid\")") }
            options.lexicalWeight = weight
        }
        options.limit = try limits.topK(fields["limit"] ?? fields["top_k"], field: fields["limit"] != nil ? "limit" : "top_k")
        if let text = fields["filter"], !text.trimmingWhitespace().isEmpty { options.filter = try Filter.parse(text) }
        if let text = fields["min_score"] {
            guard let value = Float(text), value.isFinite, (-1...1).contains(value) else {
                throw invalid("min_score", "must be a number from -1 to 1")
            }
            options.minScore = value
        }
        if let text = fields["facets"] { options.facets = try facets(text) }
        if let text = fields["facet_limit"] {
            guard let value = Int(text), (1...SearchOptions.maxFacetLimit).contains(value) else {
                throw invalid("facet_limit", "must be a whole number from 1 to \(SearchOptions.maxFacetLimit)")
            }
            options.facetLimit = value
        }
        // The fingerprint: every field that shapes the ranking, and the query itself.
        var parts = ["mode=\(mode ?? "")", "identity=\(identity)"]
        for name in ["filter", "min_score", "hybrid_weight"] { parts.append("\(name)=\(fields[name] ?? "")") }
        let fingerprint = String(Digest.sha256(Array(parts.joined(separator: "\u{1F}").utf8)).prefix(16))
        if let cursor = fields["cursor"] {
            options.offset = try Self.offset(of: cursor, fingerprint: fingerprint)
        } else if let text = fields["offset"] {
            guard let value = Int(text), value >= 0, value <= SearchOptions.maxWindow else {
                throw invalid("offset", "must be a whole number from 0 to \(SearchOptions.maxWindow)")
            }
            options.offset = value
        }
        if options.lexicalWeight != nil, options.window > CatalogSearch.hybridDepth {
            throw invalid(fields["cursor"] != nil ? "cursor" : "offset",
                          "reaches past result \(CatalogSearch.hybridDepth): in hybrid mode offset + limit must be at most \(CatalogSearch.hybridDepth)")
        }
        guard options.window <= SearchOptions.maxWindow else {
            throw invalid(fields["cursor"] != nil ? "cursor" : "offset",
                          "reaches past result \(SearchOptions.maxWindow): offset + limit must be at most \(SearchOptions.maxWindow) (narrow the search with a filter)")
        }
        return SearchParameters(kind: kind, options: options, fingerprint: fingerprint)
    }

    /// The cursor of the page after `page`, or nil when it was the last.
    public func next(_ page: SearchPage) -> String? {
        let deepest = options.lexicalWeight == nil ? SearchOptions.maxWindow : CatalogSearch.hybridDepth
        guard let offset = page.nextOffset, offset + options.limit <= deepest else { return nil }
        return Self.cursor(offset: offset, fingerprint: fingerprint)
    }

    /// A cursor: the offset and the search's fingerprint, base64url.
    static func cursor(offset: Int, fingerprint: String) -> String {
        Data("\(offset).\(fingerprint)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func offset(of cursor: String, fingerprint: String) throws(CatalogError) -> Int {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else {
            throw invalid("cursor", "is not a cursor this API gave: pass the \"next\" of the previous page as it is")
        }
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let offset = Int(parts[0]), offset >= 0 else {
            throw invalid("cursor", "is not a cursor this API gave: pass the \"next\" of the previous page as it is")
        }
        guard parts[1] == fingerprint else {
            throw invalid("cursor", "belongs to another search: its query, mode, filter or min_score differ from this request's")
        }
        return offset
    }

    static func facets(_ text: String) throws(CatalogError) -> [String] {
        var names: [String]
        if text.trimmingWhitespace().hasPrefix("[") {
            guard case .array(let items)? = JSONValue.parse(text, maxDepth: 2) else {
                throw invalid("facets", "must be an array of attribute names")
            }
            names = []
            for item in items {
                guard case .string(let name) = item else { throw invalid("facets", "must be an array of attribute names (strings)") }
                names.append(name)
            }
        } else {
            names = text.split(separator: ",").map { $0.trimmingWhitespace() }
        }
        var seen = Set<String>()
        names = names.filter { seen.insert($0).inserted }
        guard names.count <= SearchOptions.maxFacets else { throw invalid("facets", "asks for more than \(SearchOptions.maxFacets) facets") }
        for name in names where name.isEmpty || name.utf8.count > ProductAttributes.maxNameBytes {
            throw invalid("facets", "names an attribute of \(name.utf8.count) bytes (1 to \(ProductAttributes.maxNameBytes))")
        }
        return names
    }

    static func invalid(_ field: String, _ problem: String) -> CatalogError {
        CatalogError(.invalidField, "the field \"\(field)\" \(problem)", field: field)
    }
}
