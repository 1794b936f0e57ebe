import Dispatch
import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Indexes a catalogue file into a ``ProductStore``: rows are read in
/// batches, each batch is embedded in parallel on every core and written in
/// one transaction. Products whose text digest, image digest and model are
/// unchanged are skipped before decoding, so a second run — or a run after an
/// interruption — only does what is left. Bad rows are reported, never fatal.
public struct CatalogIndexer: Sendable {
    /// Where products go.
    public let store: any ProductStore
    /// Builds each record (the model, the image pipeline).
    public let embedder: ProductEmbedder
    /// The model that embeds them.
    public var model: EmbeddingModel { embedder.model }
    /// Parallel workers (default: every core).
    public var jobs: Int
    /// Rows per batch (and per transaction).
    public var batchSize: Int
    /// The limits every row's fields are checked against.
    public var limits: FieldLimits

    /// Creates an indexer.
    public init(store: any ProductStore, model: EmbeddingModel, images: ImagePipeline = ImagePipeline(targetSize: ModelSpec.decodeTarget),
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 256,
                limits: FieldLimits = .default) {
        self.limits = limits
        self.store = store
        embedder = ProductEmbedder(model: model, images: images)
        self.jobs = max(1, jobs)
        self.batchSize = max(1, batchSize)
    }

    /// Indexes every row of `catalogPath`. Relative image paths resolve
    /// against `imagesRoot` when given, else the catalogue's folder.
    /// `onFailure` sees every failure as it happens (for the failures file),
    /// `onProgress` is called after every batch.
    public func index(catalogPath: String, imagesRoot: String? = nil, stop: StopFlag = StopFlag(),
                      onProgress: (IndexProgress) -> Void = { _ in },
                      onFailure: (RowFailure) -> Void = { _ in }) throws(CatalogError) -> IndexSummary {
        let started = ContinuousClock.now
        // A first, cheap pass: how many rows (for progress), and which ids repeat (the last row wins),
        // on a thread of its own while the first batch is read and embedded.
        let surveying = BackgroundJob { () throws(CatalogError) in try CatalogReader.survey(path: catalogPath, limits: limits) }
        let reader = ReaderHandoff(try CatalogReader(path: catalogPath, limits: limits))
        let base = imagesRoot.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: catalogPath).deletingLastPathComponent()
        let batchSize = self.batchSize
        // Each batch is read on a thread of its own while the one before is embedded (reading and
        // parsing, ~50 µs a row, left a core idle between batches), and written while the next is.
        var reading: BackgroundJob<RowChunk>? = BackgroundJob { () throws(CatalogError) in try RowChunk.read(from: reader, rows: batchSize) }
        defer { _ = try? reading?.wait(); _ = try? surveying.wait() } // never leave the file in use on another thread
        var summary = IndexSummary()
        var surveyed: CatalogReader.Survey?
        func survey() throws(CatalogError) -> CatalogReader.Survey {
            if let surveyed { return surveyed }
            let done: CatalogReader.Survey
            do { done = try surveying.wait() } catch { throw Self.catalogError(error) }
            summary.duplicateIDs = done.repeatedRows
            summary.duplicateExamples = Array(done.lastRowOfRepeatedIDs.keys.sorted().prefix(10))
            surveyed = done
            return done
        }
        // One batch is written (on a thread of its own) while the next is embedded; its
        // failures and progress are reported once it is committed.
        var writing: (job: BackgroundJob<Void>, unchanged: Int, written: Int, failures: [RowFailure], rows: Int)?
        var committedRows = 0
        func finishWrite() throws(CatalogError) {
            guard let pending = writing else { return }
            writing = nil
            committedRows = pending.rows
            do { try pending.job.wait() } catch { throw Self.catalogError(error) }
            summary.indexed += pending.written
            summary.unchanged += pending.unchanged
            for failure in pending.failures {
                summary.failed += 1
                if summary.failures.count < 50 { summary.failures.append(failure) }
                onFailure(failure)
            }
            onProgress(IndexProgress(done: pending.rows, total: try survey().rows, failed: summary.failed,
                                     elapsed: Self.seconds(since: started)))
        }
        /// Embeds the batch, waits for the previous one's write, and starts this one's; false when
        /// a stop came meanwhile (this batch is then dropped: the run stops after the last commit).
        func flush(_ batch: [CatalogRow], _ rejected: [RowFailure]) throws(CatalogError) -> Bool {
            let prepared = try prepare(batch, base: base, survey: surveying)
            try finishWrite()
            if stop.isSet { return false }
            let store = self.store, records = prepared.records
            writing = (BackgroundJob {
                do throws(StoreError) { try store.upsert(records) } catch { throw CatalogError(error) }
            }, prepared.unchanged, records.count, (rejected + prepared.failures).sorted(by: { $0.row < $1.row }), summary.rows)
            return true
        }
        while let job = reading {
            let chunk: RowChunk
            do { chunk = try job.wait() } catch { reading = nil; throw Self.catalogError(error) }
            reading = chunk.atEnd ? nil : BackgroundJob { () throws(CatalogError) in try RowChunk.read(from: reader, rows: batchSize) }
            summary.rows += chunk.read
            if chunk.rows.isEmpty && chunk.rejected.isEmpty { continue }
            if try !flush(chunk.rows, chunk.rejected) || stop.isSet { summary.interrupted = true; break }
        }
        try finishWrite()
        _ = try survey()
        // An interrupted run reports the rows up to its last commit.
        if summary.interrupted { summary.rows = committedRows }
        summary.seconds = Self.seconds(since: started)
        return summary
    }

    /// A thrown error as the catalogue's error.
    private static func catalogError(_ error: any Error) -> CatalogError {
        error as? CatalogError ?? CatalogError(.store, "\(error)")
    }

    /// Re-embeds every stored product whose model is not the current one (every product with
    /// `all`), from what it was indexed with: its image file (which must still match its digest)
    /// or its kept upload. A product that cannot be re-embedded is reported with the reason and
    /// left exactly as it was; one written or deleted meanwhile keeps that newer write.
    public func reindex(all: Bool = false, stop: StopFlag = StopFlag(), onProgress: (IndexProgress) -> Void = { _ in },
                        onFailure: (RowFailure) -> Void = { _ in }) throws(CatalogError) -> IndexSummary {
        let started = ContinuousClock.now
        let ids: [String]
        do { ids = try store.productIDs(withModelOtherThan: all ? nil : model.id) } catch { throw CatalogError(error) }
        var summary = IndexSummary()
        let store = self.store, embedder = self.embedder
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            let slice = Array(ids[start..<min(start + batchSize, ids.count)])
            let stored: [String: ProductRecord]
            do { stored = try store.products(ids: slice) } catch { throw CatalogError(error) }
            let records = slice.enumerated().compactMap { offset, id in stored[id].map { (start + offset + 1, $0) } }
            summary.rows += records.count
            let results = ParallelMap.run(records, workers: jobs) { number, record in
                Self.reembed(record, number: number, store: store, embedder: embedder)
            }
            var rewritten: [ProductRecord] = []
            for result in results {
                switch result {
                case .write(let record): rewritten.append(record)
                case .unchanged: summary.unchanged += 1
                case .superseded: break
                case .failed(let failure):
                    summary.failed += 1
                    if summary.failures.count < 50 { summary.failures.append(failure) }
                    onFailure(failure)
                }
            }
            let written: [Bool]
            do { written = try store.replace(rewritten) } catch { throw CatalogError(error) }
            summary.indexed += written.filter { $0 }.count
            summary.superseded += written.filter { !$0 }.count
            onProgress(IndexProgress(done: summary.rows, total: ids.count, failed: summary.failed,
                                     elapsed: Self.seconds(since: started)))
            if stop.isSet { summary.interrupted = true; break }
        }
        summary.seconds = Self.seconds(since: started)
        return summary
    }

    /// One stored product embedded again from its sources, or why it cannot be.
    private static func reembed(_ record: ProductRecord, number: Int, store: any ProductStore,
                                embedder: ProductEmbedder) -> Work {
        func failure(_ code: String, _ reason: String) -> Work {
            .failed(RowFailure(row: number, productID: record.productID, code: code, reason: reason))
        }
        let fields = ProductFields(productID: record.productID, name: record.name, description: record.description,
                                   metadata: record.metadata)
        var bytes: Data? = nil
        if let digest = record.imageDigest {
            if let path = record.imagePath {
                do throws(ImagingError) {
                    bytes = Data(try embedder.images.readFile(atPath: path))
                } catch {
                    return failure(error.code == .unreadable ? "image_missing" : error.code.rawValue,
                                   "image \(path): \(error.message); the product is left as it was")
                }
            } else {
                do { bytes = try store.originalImage(digest: digest) } catch { return failure("store", error.description) }
                guard bytes != nil else {
                    return failure("image_not_kept", "its uploaded image (sha256 \(digest.prefix(12))…) is not kept — it was indexed before Vitrine kept uploads; upload it again. The product is left as it was")
                }
            }
            guard Digest.sha256(bytes!) == digest else {
                let source = record.imagePath.map { "image \($0)" } ?? "its kept upload"
                return failure("image_changed", "\(source) no longer matches the digest it was indexed with (sha256 \(digest.prefix(12))…); index it again with index-catalog. The product is left as it was")
            }
        }
        do throws(EmbeddingError) {
            var fresh = try embedder.record(fields, image: bytes, imageDigest: record.imageDigest, imagePath: record.imagePath)
            fresh.sequence = record.sequence
            return .write(fresh)
        } catch {
            return failure(error.imaging?.code.rawValue ?? error.code.rawValue, error.message + "; the product is left as it was")
        }
    }

    // MARK: - One batch

    /// The catalogue's reader, used by one thread at a time: each batch's reading job starts
    /// only after the previous one was waited for.
    private final class ReaderHandoff: @unchecked Sendable {
        let reader: CatalogReader
        init(_ reader: CatalogReader) { self.reader = reader }
    }

    /// The rows of one batch as read (good rows and bad ones), before superseded rows are dropped.
    private struct RowChunk: Sendable {
        var rows: [CatalogRow] = []
        var rejected: [RowFailure] = []
        /// Rows read from the file.
        var read = 0
        /// The file has no more rows.
        var atEnd = false

        /// Up to `rows` rows (good or bad) from `handoff`'s reader.
        static func read(from handoff: ReaderHandoff, rows: Int) throws(CatalogError) -> RowChunk {
            var chunk = RowChunk()
            while chunk.rows.count + chunk.rejected.count < rows {
                guard let next = try handoff.reader.next() else { chunk.atEnd = true; break }
                chunk.read += 1
                switch next {
                case .failure(let failure): chunk.rejected.append(failure)
                case .success(let row): chunk.rows.append(row)
                }
            }
            return chunk
        }
    }

    private enum Work: Sendable {
        case write(ProductRecord)
        case unchanged
        case failed(RowFailure)
        /// A later row of the same id wins.
        case superseded
    }

    /// A batch embedded (in parallel), not yet written: what to write, what was unchanged, what failed.
    /// An earlier row of a repeated id is superseded by the id's last row: skipped — before its
    /// work once the survey is done, else after it (the survey runs while the first rows are embedded).
    private func prepare(_ rows: [CatalogRow], base: URL, survey: BackgroundJob<CatalogReader.Survey>) throws(CatalogError) -> (records: [ProductRecord], unchanged: Int, failures: [RowFailure]) {
        let stored: [String: ProductFingerprint]
        do { stored = try store.fingerprints(for: rows.map(\.productID)) } catch { throw CatalogError(error) }
        let embedder = self.embedder
        let results = ParallelMap.run(rows, workers: jobs) { row -> Work in
            if let done = survey.valueIfFinished, done.supersedes(row) { return .superseded }
            let work = Self.work(row, base: base, stored: stored[row.productID], embedder: embedder)
            // A failed survey keeps every row here; the caller reports its error.
            if let done = try? survey.wait(), done.supersedes(row) { return .superseded }
            return work
        }
        var records: [ProductRecord] = []
        var unchanged = 0
        var failures: [RowFailure] = []
        for result in results {
            switch result {
            case .write(let record): records.append(record)
            case .unchanged: unchanged += 1
            case .failed(let failure): failures.append(failure)
            case .superseded: break
            }
        }
        return (records, unchanged, failures)
    }

    private static func work(_ row: CatalogRow, base: URL, stored: ProductFingerprint?, embedder: ProductEmbedder) -> Work {
        let textDigest = Digest.text(name: row.name, description: row.description, metadata: row.metadata)
        var bytes: [UInt8]? = nil
        var imagePath: String? = nil
        var imageDigest: String? = nil
        if let image = row.image {
            let path = image.hasPrefix("/") ? image : base.appendingPathComponent(image).path
            imagePath = path
            do throws(ImagingError) {
                bytes = try embedder.images.readFile(atPath: path)
            } catch {
                let code = error.code == .unreadable ? "image_missing" : error.code.rawValue
                return .failed(RowFailure(row: row.row, productID: row.productID, code: code,
                                          reason: "image \(image): \(error.message)"))
            }
            imageDigest = Digest.sha256(bytes!)
        }
        let fingerprint = ProductFingerprint(textDigest: textDigest, imageDigest: imageDigest, model: embedder.model.id)
        if stored == fingerprint { return .unchanged }
        let fields = ProductFields(productID: row.productID, name: row.name, description: row.description, metadata: row.metadata)
        do throws(EmbeddingError) {
            return .write(try embedder.record(fields, image: bytes, imageDigest: imageDigest, imagePath: imagePath))
        } catch {
            if let imaging = error.imaging {
                return .failed(RowFailure(row: row.row, productID: row.productID, code: imaging.code.rawValue,
                                          reason: "image \(row.image ?? ""): \(imaging.message)"))
            }
            return .failed(RowFailure(row: row.row, productID: row.productID, code: error.code.rawValue, reason: error.message))
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
