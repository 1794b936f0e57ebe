/// What one `index-catalog` (or `reindex`) run did.
public struct IndexSummary: Sendable {
    /// Catalogue rows read.
    public var rows = 0
    /// Products embedded and written.
    public var indexed = 0
    /// Products skipped because their text, image digest and model were unchanged.
    public var unchanged = 0
    /// Products `reindex` re-embedded but did not write, because a newer write (or a delete)
    /// came meanwhile: that write stands.
    public var superseded = 0
    /// Rows that failed (bad row, missing or undecodable image...).
    public var failed = 0
    /// Product ids that appeared more than once (the last row won).
    public var duplicateIDs = 0
    /// A few of those ids, for the summary.
    public var duplicateExamples: [String] = []
    /// The first failures (all of them go to the failures file).
    public var failures: [RowFailure] = []
    /// Wall-clock seconds.
    public var seconds = 0.0
    /// True when the run was asked to stop before the end (what was committed stays).
    public var interrupted = false

    /// Creates an empty summary.
    public init() {}
}

/// Progress of a run, reported after each batch.
public struct IndexProgress: Sendable {
    /// Rows handled so far.
    public var done: Int
    /// Rows in the catalogue (nil when unknown).
    public var total: Int?
    /// Failures so far.
    public var failed: Int
    /// Seconds since the start.
    public var elapsed: Double
}
