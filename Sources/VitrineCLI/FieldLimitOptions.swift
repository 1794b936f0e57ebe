import ArgumentParser
import VitrineCatalog

/// Text field and search limits, the same for `serve` and `index-catalog`.
struct FieldLimitOptions: ParsableArguments {
    @Option(help: "Largest product_id, in bytes (default 256, or $VITRINE_MAX_ID_BYTES).")
    var maxIdBytes: Int?

    @Option(help: "Largest name, in bytes (default 1024, or $VITRINE_MAX_NAME_BYTES).")
    var maxNameBytes: Int?

    @Option(help: "Largest description, in bytes (default 65536, or $VITRINE_MAX_DESCRIPTION_BYTES).")
    var maxDescriptionBytes: Int?

    @Option(help: "Largest metadata, in bytes (default 65536, or $VITRINE_MAX_METADATA_BYTES).")
    var maxMetadataBytes: Int?

    @Option(help: "Largest search query, in bytes (default 4096, or $VITRINE_MAX_QUERY_BYTES).")
    var maxQueryBytes: Int?

    @Option(help: "Largest top_k a search may ask for (default 1000, or $VITRINE_MAX_TOP_K).")
    var maxTopK: Int?

    /// The limits, flags over environment over defaults.
    func fieldLimits() throws -> FieldLimits {
        var limits = FieldLimits.default
        limits.productID = try Setting.value(maxIdBytes, "VITRINE_MAX_ID_BYTES", limits.productID)
        limits.name = try Setting.value(maxNameBytes, "VITRINE_MAX_NAME_BYTES", limits.name)
        limits.description = try Setting.value(maxDescriptionBytes, "VITRINE_MAX_DESCRIPTION_BYTES", limits.description)
        limits.metadata = try Setting.value(maxMetadataBytes, "VITRINE_MAX_METADATA_BYTES", limits.metadata)
        limits.query = try Setting.value(maxQueryBytes, "VITRINE_MAX_QUERY_BYTES", limits.query)
        limits.topK = try Setting.value(maxTopK, "VITRINE_MAX_TOP_K", limits.topK)
        guard [limits.productID, limits.name, limits.description, limits.metadata, limits.query, limits.topK].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("field limits must be positive")
        }
        return limits
    }
}
