import Foundation
import VitrineStore

/// The one JSON shape of each object Vitrine shows — the API's answers and the CLI's
/// `--json` lines use these and nothing else: one date format (RFC 3339 in UTC with
/// milliseconds), one score type (the shortest decimal that reads back to the Float).
extension JSON {
    /// A date: `2026-12-01T14:59:56.123Z`.
    public static func date(_ date: Date) -> Value {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// A date, or null.
    public static func date(_ date: Date?) -> Value {
        date.map { Self.date($0) } ?? .null
    }

    /// A similarity score.
    public static func score(_ score: Float) -> Value { .float(score) }

    /// A string, or null.
    public static func string(_ text: String?) -> Value { text.map(Value.string) ?? .null }

    /// A stored product (without its vectors).
    public static func product(_ record: ProductRecord) -> Value {
        .object([
            ("product_id", .string(record.productID)), ("name", .string(record.name)),
            ("description", .string(record.description)), ("metadata", .string(record.metadata)),
            ("model", .string(record.model)), ("has_image", .bool(record.image != nil)),
            ("image_digest", string(record.imageDigest)),
            ("image_width", record.imageWidth.map(Value.int) ?? .null),
            ("image_height", record.imageHeight.map(Value.int) ?? .null),
            ("created_at", date(record.createdAt)), ("updated_at", date(record.updatedAt)),
        ])
    }

    /// One search result.
    public static func hit(_ hit: SearchHit) -> Value {
        .object([("product_id", .string(hit.productID)), ("score", score(hit.score)), ("name", .string(hit.name))])
    }

    /// Search results: `{"results": [...]}`.
    public static func results(_ hits: [SearchHit]) -> Value {
        .object([("results", .array(hits.map(hit)))])
    }

    /// A page of search results: `{"results": [...], "total": n, "offset": n, "limit": n, "next": cursor or null,
    /// "facets": {"brand": [{"value": "Acme", "count": 3}, ...]}}` (`results` as old clients read it).
    public static func page(_ page: SearchPage, options: SearchOptions, next: String?) -> Value {
        .object([
            ("results", .array(page.hits.map(hit))), ("total", .int(page.total)),
            ("offset", .int(options.offset)), ("limit", .int(options.limit)), ("next", string(next)),
            ("facets", .object(page.facets.map { facet in
                (facet.name, .array(facet.values.map { .object([("value", attribute($0.value)), ("count", .int($0.count))]) }))
            })),
        ])
    }

    /// An attribute's value: a string, a number (whole numbers without a fraction) or a boolean.
    public static func attribute(_ value: AttributeValue) -> Value {
        switch value {
        case .string(let text): return .string(text)
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 { return .int(Int(number)) }
            return .double(number)
        }
    }

    /// A job.
    public static func job(_ job: JobRecord) -> Value {
        .object([
            ("job_id", .string(job.id)), ("product_id", .string(job.fields.productID)),
            ("status", .string(job.status.rawValue)), ("attempts", .int(job.attempts)),
            ("error", string(job.error)), ("created_at", date(job.createdAt)), ("finished_at", date(job.finishedAt)),
        ])
    }

    /// A group of near-duplicates.
    public static func duplicateGroup(_ group: DuplicateGroup) -> Value {
        .object([
            ("products", .array(group.members.map { .object([("product_id", .string($0.productID)), ("name", .string($0.name))]) })),
            ("min_score", score(group.minimumScore)),
        ])
    }

    /// Near-duplicate groups: `{"groups": [...]}`.
    public static func duplicateGroups(_ groups: [DuplicateGroup]) -> Value {
        .object([("groups", .array(groups.map(duplicateGroup)))])
    }

    /// A catalogue row (or stored product) that could not be indexed.
    public static func rowFailure(_ failure: RowFailure) -> Value {
        .object([("row", .int(failure.row)), ("product_id", string(failure.productID)),
                 ("code", .string(failure.code)), ("reason", .string(failure.reason))])
    }

    /// An error's fields: a stable code and a sentence for a person (the API answers them at
    /// the top level with `"status": "error"`; the CLI's lines nest them under `"error"`).
    public static func errorFields(code: String, message: String) -> [(String, Value)] {
        [("code", .string(code)), ("message", .string(message))]
    }
}
