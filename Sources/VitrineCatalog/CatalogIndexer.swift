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
    /// The model that embeds them.
    public let model: EmbeddingModel
    /// Parallel workers (default: every core).
    public var jobs: Int
    /// Rows per batch (and per transaction).
    public var batchSize: Int
    /// The limits every row's fields are checked against.
    public var limits: FieldLimits

    /// Creates an indexer.
    public init(store: any ProductStore, model: EmbeddingModel,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 256,
                limits: FieldLimits = .default) {
        self.limits = limits
        self.store = store
        self.model = model
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
        // A first, cheap pass: how many rows (for progress), and which ids repeat (the last row wins).
        let survey = try CatalogReader.survey(path: catalogPath, limits: limits)
        let reader = try CatalogReader(path: catalogPath, limits: limits)
        let base = imagesRoot.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: catalogPath).deletingLastPathComponent()
        var summary = IndexSummary()
        summary.duplicateIDs = survey.repeatedRows
        summary.duplicateExamples = Array(survey.lastRowOfRepeatedIDs.keys.sorted().prefix(10))
        var batch: [CatalogRow] = []
        var rejected: [RowFailure] = []
        func flush() throws(CatalogError) {
            let outcome = try process(batch, base: base)
            summary.indexed += outcome.written
            summary.unchanged += outcome.unchanged
            for failure in (rejected + outcome.failures).sorted(by: { $0.row < $1.row }) {
                summary.failed += 1
                if summary.failures.count < 50 { summary.failures.append(failure) }
                onFailure(failure)
            }
            batch.removeAll(keepingCapacity: true)
            rejected.removeAll(keepingCapacity: true)
            onProgress(IndexProgress(done: summary.rows, total: survey.rows, failed: summary.failed,
                                     elapsed: Self.seconds(since: started)))
        }
        while let next = try reader.next() {
            summary.rows += 1
            switch next {
            case .failure(let failure):
                rejected.append(failure)
            case .success(let row):
                // An earlier row of a repeated id is superseded by the last one: skip it.
                if let last = survey.lastRowOfRepeatedIDs[row.productID], last != row.row { break }
                batch.append(row)
            }
            if batch.count + rejected.count >= batchSize {
                try flush()
                if stop.isSet { summary.interrupted = true; break }
            }
        }
        if !summary.interrupted && (!batch.isEmpty || !rejected.isEmpty) { try flush() }
        summary.seconds = Self.seconds(since: started)
        return summary
    }

    /// Re-embeds every stored product whose model is not the current one,
    /// reading its image again from the path it was indexed from.
    public func reindex(stop: StopFlag = StopFlag(), onProgress: (IndexProgress) -> Void = { _ in },
                        onFailure: (RowFailure) -> Void = { _ in }) throws(CatalogError) -> IndexSummary {
        let started = ContinuousClock.now
        let ids: [String]
        do { ids = try store.productIDs(withModelOtherThan: model.id) } catch { throw CatalogError(error) }
        var summary = IndexSummary()
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            var rows: [CatalogRow] = []
            for (offset, id) in ids[start..<min(start + batchSize, ids.count)].enumerated() {
                let record: ProductRecord?
                do { record = try store.product(id: id) } catch { throw CatalogError(error) }
                guard let record else { continue } // deleted meanwhile
                rows.append(CatalogRow(row: start + offset + 1, productID: id, name: record.name,
                                       description: record.description, metadata: record.metadata, image: record.imagePath))
            }
            summary.rows += rows.count
            let outcome = try process(rows, base: URL(fileURLWithPath: "/"))
            summary.indexed += outcome.written
            summary.unchanged += outcome.unchanged
            for failure in outcome.failures {
                summary.failed += 1
                if summary.failures.count < 50 { summary.failures.append(failure) }
                onFailure(failure)
            }
            onProgress(IndexProgress(done: summary.rows, total: ids.count, failed: summary.failed,
                                     elapsed: Self.seconds(since: started)))
            if stop.isSet { summary.interrupted = true; break }
        }
        summary.seconds = Self.seconds(since: started)
        return summary
    }

    // MARK: - One batch

    private enum Work: Sendable {
        case write(ProductRecord)
        case unchanged
        case failed(RowFailure)
    }

    private func process(_ rows: [CatalogRow], base: URL) throws(CatalogError) -> (written: Int, unchanged: Int, failures: [RowFailure]) {
        let stored: [String: ProductFingerprint]
        do { stored = try store.fingerprints(for: rows.map(\.productID)) } catch { throw CatalogError(error) }
        let model = self.model
        let results = ParallelMap.run(rows, workers: jobs) { row in
            Self.work(row, base: base, stored: stored[row.productID], model: model)
        }
        var records: [ProductRecord] = []
        var unchanged = 0
        var failures: [RowFailure] = []
        for result in results {
            switch result {
            case .write(let record): records.append(record)
            case .unchanged: unchanged += 1
            case .failed(let failure): failures.append(failure)
            }
        }
        // Rows of one product in one batch: keep the last (writes happen in order anyway).
        do { try store.upsert(records) } catch { throw CatalogError(error) }
        return (records.count, unchanged, failures)
    }

    private static func work(_ row: CatalogRow, base: URL, stored: ProductFingerprint?, model: EmbeddingModel) -> Work {
        let textDigest = Digest.text(name: row.name, description: row.description, metadata: row.metadata)
        var bytes: [UInt8]? = nil
        var imagePath: String? = nil
        var imageDigest: String? = nil
        if let image = row.image {
            let path = image.hasPrefix("/") ? image : base.appendingPathComponent(image).path
            imagePath = path
            do throws(ImagingError) {
                bytes = try model.decoder.readFile(atPath: path)
            } catch {
                let code = error.code == .unreadable ? "image_missing" : error.code.rawValue
                return .failed(RowFailure(row: row.row, productID: row.productID, code: code,
                                          reason: "image \(image): \(error.message)"))
            }
            imageDigest = Digest.sha256(bytes!)
        }
        let fingerprint = ProductFingerprint(textDigest: textDigest, imageDigest: imageDigest, model: model.id)
        if stored == fingerprint { return .unchanged }
        do throws(EmbeddingError) {
            var pixels: PixelBuffer? = nil
            var size: (Int, Int)? = nil
            var thumbnail: [UInt8]? = nil
            if let bytes {
                do throws(ImagingError) {
                    let decoded = try model.decoder.decode(bytes, targetSize: ModelSpec.decodeTarget)
                    pixels = decoded.pixels
                    size = (decoded.width, decoded.height)
                    thumbnail = try Thumbnail.make(from: decoded.pixels)
                } catch {
                    return .failed(RowFailure(row: row.row, productID: row.productID, code: error.code.rawValue,
                                              reason: "image \(row.image ?? ""): \(error.message)"))
                }
            }
            let vectors = try model.embedProduct(
                text: ProductText(name: row.name, description: row.description, metadata: row.metadata), image: pixels)
            return .write(ProductRecord(
                productID: row.productID, name: row.name, description: row.description, metadata: row.metadata,
                textDigest: textDigest, imageDigest: imageDigest, imagePath: imagePath, imageWidth: size?.0,
                imageHeight: size?.1, model: model.id, fused: vectors.fused.vector, image: vectors.image?.vector,
                text: vectors.text.vector, thumbnail: thumbnail))
        } catch {
            return .failed(RowFailure(row: row.row, productID: row.productID, code: error.code.rawValue, reason: error.message))
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
