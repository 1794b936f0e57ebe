import Dispatch
import Foundation
import VitrineEmbedding
import VitrineImaging
import VitrineStore

/// Processes indexing jobs from a ``JobQueue``: claim, decode and embed the
/// upload, write the product (if the job is still the newest write), repeat.
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

    /// Creates a worker.
    public init(queue: any JobQueue, model: EmbeddingModel, workerID: String, lease: TimeInterval = 30,
                idleWait: TimeInterval = 0.05) {
        self.queue = queue
        self.model = model
        self.workerID = workerID
        self.lease = lease
        self.idleWait = idleWait
    }

    /// Claims and processes one job; false when there was none.
    @discardableResult
    public func runOnce() throws(StoreError) -> Bool {
        guard let claimed = try queue.claim(workerID: workerID, lease: lease) else { return false }
        let renewal = startRenewing(claimed.job.id)
        defer { renewal.cancel() }
        let job = claimed.job
        switch embed(claimed) {
        case .success(let record):
            do throws(StoreError) {
                _ = try queue.complete(jobID: job.id, workerID: workerID, product: record)
            } catch {
                try queue.fail(jobID: job.id, workerID: workerID, error: error.description, permanent: false,
                               retryAfter: Self.backoff(attempt: job.attempts))
            }
        case .failure(let failure):
            // An undecodable image or text without words will not get better: fail at once.
            try queue.fail(jobID: job.id, workerID: workerID, error: failure.description, permanent: true, retryAfter: 0)
        }
        return true
    }

    /// Decodes and embeds a claimed job's product.
    private func embed(_ claimed: ClaimedJob) -> Result<ProductRecord, EmbeddingError> {
        let request = claimed.job.request
        return Result { () throws(EmbeddingError) -> ProductRecord in
            let decoded: DecodedImage
            do throws(ImagingError) {
                decoded = try model.decoder.decode(claimed.image, targetSize: ModelSpec.decodeTarget)
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
                fused: vectors.fused.vector, image: vectors.image?.vector, text: vectors.text.vector)
        }
    }

    /// Processes jobs until `stop` is set (finishing the job in hand), sleeping while the queue is empty.
    public func run(until stop: StopFlag) {
        while !stop.isSet {
            let worked: Bool
            do { worked = try runOnce() } catch {
                // The database is busy or unreachable: wait, then try again.
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if !worked { Thread.sleep(forTimeInterval: idleWait) }
        }
    }

    /// Exponential backoff for transient failures: 0.5 s, 1 s, 2 s … at most 30 s.
    public static func backoff(attempt: Int) -> TimeInterval {
        min(30, 0.5 * pow(2, Double(max(0, attempt - 1))))
    }

    private func startRenewing(_ jobID: String) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let interval = max(0.05, lease / 3)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let queue = self.queue, workerID = self.workerID, lease = self.lease
        timer.setEventHandler { _ = try? queue.renew(jobID: jobID, workerID: workerID, lease: lease) }
        timer.resume()
        return timer
    }
}
