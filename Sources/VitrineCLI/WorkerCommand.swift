import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineStore

/// `vitrine worker --worker-id w1`: processes with-image indexing jobs from the database.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Process queued image-indexing jobs from the database until stopped (SIGTERM or Ctrl-C).",
        discussion: "Any number of workers, in any number of processes, can share one database. A worker that dies loses its jobs' leases, and other workers take them over.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var limits: LimitOptions

    @Option(help: "This worker's name, as shown in the jobs; one process at a time (a restarted worker takes back its jobs at once).")
    var workerID: String = "worker-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(help: "Seconds a claimed job stays reserved without renewal; renewed five times a lease (default 3, or $VITRINE_JOB_LEASE).")
    var lease: Double?

    func validate() throws {
        if let lease, lease < 1 { throw ValidationError("--lease must be at least 1 second") }
        if workerID.isEmpty { throw ValidationError("--worker-id must not be empty") }
    }

    /// The lease: the flag, then the environment, then the default.
    func leaseSeconds() throws -> Double {
        let seconds = try Setting.value(lease, "VITRINE_JOB_LEASE", JobWorker.defaultLease)
        guard seconds >= 1 else { throw ValidationError("the lease must be at least 1 second") }
        return seconds
    }

    func run() throws {
        // SIGTERM and Ctrl-C are caught from the start: a worker stopped while it starts exits cleanly.
        let stop = StopFlag()
        let signals = Interruption.install(stop, message: "stopping after the current batch of jobs…")
        defer { signals.forEach { $0.cancel() } }
        // Checkpoints run on a timer of their own, never inside a job's commit.
        let products = try store.open(automaticCheckpoints: false)
        let checkpoints = DispatchSource.makeTimerSource(queue: .global())
        checkpoints.schedule(deadline: .now() + 0.5, repeating: 0.5)
        checkpoints.setEventHandler {
            do { try products.checkpoint() } catch { JobWorker.logToStandardError("checkpoint", error) }
        }
        checkpoints.resume()
        defer {
            checkpoints.cancel()
            do { try products.checkpoint() } catch { JobWorker.logToStandardError("checkpoint", error) }
        }
        let queue = SQLiteJobQueue(store: products)
        let worker = JobWorker(queue: queue, model: try model.load(limits: try limits.decodeLimits()),
                               workerID: workerID, lease: try leaseSeconds())
        // A worker id names one process at a time: what an earlier process of this name held
        // (it was killed) is given to the next claim now rather than when its lease runs out.
        let reclaimed = try queue.reclaim(workerID: workerID)
        if reclaimed > 0 {
            FileHandle.standardError.write(Data("worker \(workerID): took back \(reclaimed) jobs an earlier process of this name held\n".utf8))
        }
        if stop.isSet { return }
        FileHandle.standardError.write(Data("worker \(workerID): processing jobs from \(products.path)\n".utf8))
        worker.run(until: stop)
        FileHandle.standardError.write(Data("worker \(workerID): stopped\n".utf8))
    }
}
