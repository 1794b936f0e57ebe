import Dispatch
import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Processes indexing jobs from a ``JobQueue``: claim a few, decode and
/// embed each upload, write the products (each only if its job is still the
/// newest write of its product) in one transaction, repeat.
/// The lease is renewed while a job runs; an undecodable image fails the job
/// at once with the decoder's message; other failures retry with backoff.
public final class JobWorker: Sendable {
    /// The queue.
    public let queue: any JobQueue
    /// The model.
    public let model: EmbeddingModel
    /// This worker's name in the jobs table.
    public let workerID: String
    /// How long a claim lasts without renewal.
    public let lease: TimeInterval
    /// How long to sleep when the queue is empty.
    public let idleWait: TimeInterval
    /// Jobs claimed and committed together.
    public let batchSize: Int
    /// Waits while the queue is empty, at most the given seconds (a sleep by
    /// default; in-process workers are woken early when jobs are enqueued).
    public let idle: @Sendable (TimeInterval) -> Void
    /// Told of every failure no job records (a lease renewal, the store unreachable between
    /// jobs), with the operation's name; by default written to standard error.
    public let onError: @Sendable (String, any Error) -> Void

    /// Creates a worker.
    public init(queue: any JobQueue, model: EmbeddingModel, workerID: String, lease: TimeInterval = 30,
                idleWait: TimeInterval = 0.01, batchSize: Int = 8,
                idle: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) },
                onError: @escaping @Sendable (String, any Error) -> Void = JobWorker.logToStandardError) {
        self.onError = onError
        self.queue = queue
        self.model = model
        self.workerID = workerID
        self.lease = lease
        self.idleWait = idleWait
        self.batchSize = max(1, batchSize)
        self.idle = idle
    }

    /// Claims and processes a batch of jobs (up to ``batchSize``, committed
    /// together); false when there were none.
    @discardableResult
    public func runOnce() throws(StoreError) -> Bool {
        let claimed = try queue.claim(workerID: workerID, lease: lease, limit: batchSize)
        guard !claimed.isEmpty else { return false }
        let renewal = startRenewing(claimed.map(\.job.id))
        defer { renewal.cancel() }
        var done: [(jobID: String, product: ProductRecord)] = []
        for job in claimed {
            switch embed(job) {
            case .success(let record):
                done.append((job.job.id, record))
            case .failure(let failure):
                // An undecodable image or text without words will not get better: fail at once.
                try queue.fail(jobID: job.job.id, workerID: workerID, error: failure.description, permanent: true, retryAfter: 0)
            }
        }
        guard !done.isEmpty else { return true }
        do throws(StoreError) {
            _ = try queue.complete(done, workerID: workerID)
        } catch {
            for item in done {
                let attempts = claimed.first { $0.job.id == item.jobID }?.job.attempts ?? 1
                try queue.fail(jobID: item.jobID, workerID: workerID, error: error.description, permanent: false,
                               retryAfter: Self.backoff(attempt: attempts))
            }
        }
        return true
    }

    /// Decodes and embeds a claimed job's product.
    private func embed(_ claimed: ClaimedJob) -> Result<ProductRecord, EmbeddingError> {
        let request = claimed.job.request
        return Result { () throws(EmbeddingError) -> ProductRecord in
            let decoded: DecodedImage
            let thumbnail: [UInt8]
            do throws(ImagingError) {
                decoded = try model.decoder.decode(claimed.image, targetSize: ModelSpec.decodeTarget)
                thumbnail = try Thumbnail.make(from: decoded.pixels)
            } catch {
                throw EmbeddingError(error)
            }
            let text = ProductText(name: request.name, description: request.description, metadata: request.metadata)
            let vectors = try model.embedProduct(text: text, image: decoded.pixels)
            return ProductRecord(
                productID: request.productID, name: request.name, description: request.description,
                metadata: request.metadata,
                textDigest: Digest.text(name: request.name, description: request.description, metadata: request.metadata),
                imageDigest: claimed.imageDigest, imageWidth: decoded.width, imageHeight: decoded.height, model: model.id,
                fused: vectors.fused.vector, image: vectors.image?.vector, text: vectors.text.vector,
                thumbnail: thumbnail)
        }
    }

    /// Processes jobs until `stop` is set (finishing the job in hand), sleeping while the queue is empty.
    public func run(until stop: StopFlag) {
        while !stop.isSet {
            let worked: Bool
            do { worked = try runOnce() } catch {
                // The database is busy or unreachable: wait, then try again.
                onError("claim", error)
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if !worked { idle(idleWait) }
        }
    }

    /// The default of ``onError``: one line on standard error.
    public static let logToStandardError: @Sendable (String, any Error) -> Void = { operation, error in
        FileHandle.standardError.write(Data("worker: \(operation) failed: \(error)\n".utf8))
    }

    /// Exponential backoff for transient failures: 0.5 s, 1 s, 2 s … at most 30 s.
    public static func backoff(attempt: Int) -> TimeInterval {
        min(30, 0.5 * pow(2, Double(max(0, attempt - 1))))
    }

    private func startRenewing(_ jobIDs: [String]) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let interval = max(0.05, lease / 3)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let queue = self.queue, workerID = self.workerID, lease = self.lease, onError = self.onError
        timer.setEventHandler {
            for jobID in jobIDs {
                // A missed renewal may let another worker take the job over (it is applied once either way).
                do { _ = try queue.renew(jobID: jobID, workerID: workerID, lease: lease) } catch { onError("lease_renewal", error) }
            }
        }
        timer.resume()
        return timer
    }
}
