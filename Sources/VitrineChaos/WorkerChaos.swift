import Foundation
import GRDB
import VitrineCatalog
import VitrineEmbedding
import VitrineProbe
import VitrineStore

/// Worker processes killed again and again while they work: uploads arrive in
/// bursts (one before each kill), three `vitrine worker` processes share the queue, and one of them is
/// SIGKILLed every few seconds — at the first moment it holds jobs after a random
/// interval — and started again. Afterwards every job must have
/// succeeded, every product be stored once with its newest write, and the jobs
/// the killed workers held must have been taken over.
public enum WorkerChaos {
    /// How hard to shake.
    public struct Configuration: Sendable {
        /// Jobs enqueued in all (some products get two writes: the newer must win).
        public var jobs = 10_000
        /// `vitrine worker` processes.
        public var workers = 3
        /// Seconds between kills (uniform).
        public var killEvery: ClosedRange<Double> = 2...5
        /// After each interval, how long a kill may wait for its victim to hold jobs, seconds.
        public var holdWait: Double = 5
        /// Kills at least (the run goes on until there were this many and every job is done).
        public var minimumKills = 50
        /// The workers' lease, seconds.
        public var lease: Double = JobWorker.defaultLease
        /// Products whose stored vector is recomputed and compared exactly.
        public var vectorChecks = 200
        /// The longest the run may take, seconds.
        public var timeout: Double = 900

        /// The defaults (the full run).
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Jobs enqueued, and those that succeeded.
        public var jobs = 0, succeeded = 0
        /// SIGKILLs sent.
        public var kills = 0
        /// Jobs claimed more than once (a killed worker's jobs taken over).
        public var takenOver = 0
        /// Products that should be stored and are not, or whose job failed.
        public var lost = 0
        /// Product rows beyond one per id.
        public var duplicates = 0
        /// Products stored with another write than their newest (name, image or vector).
        public var stale = 0
        /// Seconds from a kill to the last of the jobs its worker held being claimed again, per kill that
        /// held jobs: when the killed worker is started again at once (it takes its jobs back as it starts)…
        public var recoveries: [Double] = []
        /// …and when it is not (the others take them over once the lease has run out).
        public var leaseRecoveries: [Double] = []
        /// Wall-clock seconds.
        public var seconds = 0.0
        /// Everything that went wrong, in words (empty: the run passed).
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            func figures(_ values: [Double]) -> String {
                values.isEmpty ? "no kill held jobs"
                    : String(format: "median %.2f s, max %.2f s over %d kills", ChaosSetup.median(values), values.max() ?? 0, values.count)
            }
            let recovery = "jobs picked up again after a kill: worker restarted at once \(figures(recoveries)); not restarted (lease expiry) \(figures(leaseRecoveries))"
            return "workers: \(jobs) jobs, \(kills) SIGKILLs in \(String(format: "%.0f", seconds)) s; succeeded \(succeeded), taken over \(takenOver), lost \(lost), duplicates \(duplicates), stale \(stale); \(recovery)"
        }
    }

    /// One planned write: job `index` writes product `productID` with `name` and image `image`.
    struct Write {
        var productID: String
        var name: String
        var image: Int
    }

    /// Runs it. `log` hears of each kill.
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> Report {
        let started = Date()
        var report = Report()
        report.jobs = configuration.jobs
        let db = setup.folder.appendingPathComponent("chaos-workers.sqlite").path
        let store = try SQLiteProductStore(path: db)
        let queue = SQLiteJobQueue(store: store)
        // A fifth of the products get a second, newer write with another image.
        let productCount = max(1, configuration.jobs * 4 / 5)
        let writes = (0..<configuration.jobs).map { index in
            Write(productID: "c\(index % productCount)", name: "Produit \(index)", image: (index * 7 + index / productCount) % setup.images.count)
        }
        let digests = setup.images.map { Digest.sha256($0) }

        // Uploads arrive in bursts, one before each kill: the kills then find the workers at work.
        // Spread over half as many kills again as wanted: on a loaded machine some kills catch no job.
        let plannedKills = max(1, configuration.minimumKills + configuration.minimumKills / 2)
        let perBurst = max(1, (configuration.jobs + plannedKills - 1) / plannedKills)
        var enqueued = 0
        func burst() throws {
            let range = enqueued..<min(configuration.jobs, enqueued + perBurst)
            guard !range.isEmpty else { return }
            _ = try queue.enqueue(range.map { index in
                Upload(fields: ProductFields(productID: writes[index].productID, name: writes[index].name),
                       image: setup.images[writes[index].image], imageDigest: digests[writes[index].image])
            }, maxAttempts: 5)
            enqueued = range.upperBound
        }

        func start(_ index: Int, generation: Int) throws -> ChildProcess {
            try ChildProcess(setup.binary, ["worker", "--worker-id", "w\(index)", "--db", db, "--lease", String(configuration.lease),
                                            "--model", setup.model.path],
                             log: setup.folder.appendingPathComponent("worker-\(index)-\(generation).log"))
        }
        var workers = try (0..<configuration.workers).map { try start($0, generation: 0) }
        defer { for worker in workers { worker.killNow() } }
        // Every other victim is started again only after its lease has run out, so the other
        // workers take its jobs over by lease expiry; the rest restart at once and take them back.
        var restartAt: [Int: Date] = [:]

        struct Kill { var time: Date; var held: [(id: String, attempts: Int)]; var restartedAtOnce: Bool }
        var kills: [Kill] = []
        var random = SeededGenerator(state: setup.seed)
        let reader = try DatabaseQueue(path: db)
        func finished() throws -> Int {
            try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE status IN ('succeeded', 'failed')") ?? 0 }
        }
        let deadline = started.addingTimeInterval(configuration.timeout)
        while Date() < deadline {
            let done = try finished()
            // Both kinds of takeover must have caught a worker holding jobs.
            let caughtAtOnce = kills.filter { $0.restartedAtOnce && !$0.held.isEmpty }.count
            let caughtByLease = kills.filter { !$0.restartedAtOnce && !$0.held.isEmpty }.count
            let enoughKills = kills.count >= configuration.minimumKills && caughtAtOnce > 0 && caughtByLease > 0
            if enoughKills && done >= configuration.jobs { break }
            Thread.sleep(forTimeInterval: Double.random(in: configuration.killEvery, using: &random))
            for (index, due) in restartAt where due <= Date() {
                workers[index] = try start(index, generation: kills.count)
                restartAt[index] = nil
            }
            if enoughKills { try burst(); continue } // enough kills: let the queue drain
            if done >= configuration.jobs && kills.count >= configuration.minimumKills { break } // nothing left to catch a worker at
            try burst()
            usleep(UInt32.random(in: 0...200_000, using: &random)) // somewhere in the burst, not always at its start
            let running = (0..<workers.count).filter { restartAt[$0] == nil }
            let victim = running[Int.random(in: 0..<running.count, using: &random)]
            // The kill comes as soon as the victim holds jobs (at most `holdWait` later): a kill
            // of an idle worker tests nothing, and between bursts the workers are mostly idle.
            var held: [(id: String, attempts: Int)] = []
            let waitUntil = Date().addingTimeInterval(configuration.holdWait)
            repeat {
                held = try reader.read { db in
                    try Row.fetchAll(db, sql: "SELECT id, attempts FROM job WHERE status = 'processing' AND worker_id = ?",
                                     arguments: ["w\(victim)"]).map { (id: $0["id"] as String, attempts: $0["attempts"] as Int) }
                }
                if held.isEmpty { usleep(1_000) }
            } while held.isEmpty && Date() < waitUntil
            workers[victim].send(SIGKILL)
            let time = Date()
            workers[victim].wait(timeout: 30)
            // Alternate between the two kinds among the kills that caught jobs (on a loaded
            // machine many catch none); a kill of an idle worker is restarted at once.
            let atOnce = held.isEmpty || caughtAtOnce <= caughtByLease
            kills.append(Kill(time: time, held: held, restartedAtOnce: atOnce))
            log("kill \(kills.count): w\(victim) held \(held.count) jobs; \(done)/\(configuration.jobs) finished; restarted \(atOnce ? "at once" : "after its lease")")
            if atOnce {
                workers[victim] = try start(victim, generation: kills.count)
            } else {
                restartAt[victim] = Date().addingTimeInterval(configuration.lease + 0.5)
            }
        }
        report.kills = kills.count
        for (index, _) in restartAt { workers[index] = try start(index, generation: kills.count + 1) }
        for worker in workers {
            // A worker just started gets to its loop first (a SIGTERM then is an ordinary stop).
            _ = ChaosSetup.waitFor(30) { worker.log.contains("processing jobs") || !worker.isRunning }
            worker.send(SIGTERM)
            if !worker.wait(timeout: 90) || !worker.exitedCleanly { // a loaded CI run took more than 30 s
                report.problems.append("a worker did not stop cleanly on SIGTERM (\(worker.ending))")
            }
        }
        report.seconds = Date().timeIntervalSince(started)

        // Every job, every product, every takeover.
        let jobs = try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT id, product_id, name, status, attempts, claimed_at, error FROM job")
        }
        var byID: [String: Row] = [:]
        for job in jobs { byID[job["id"]] = job }
        report.succeeded = jobs.filter { ($0["status"] as String) == "succeeded" }.count
        report.takenOver = jobs.filter { ($0["attempts"] as Int) > 1 }.count
        let failed = jobs.filter { ($0["status"] as String) != "succeeded" }
        if jobs.count != configuration.jobs { report.problems.append("\(jobs.count) jobs stored, \(configuration.jobs) enqueued") }
        for job in failed.prefix(5) {
            report.problems.append("job \(job["id"] as String) ended \(job["status"] as String): \(job["error"] as String? ?? "")")
        }
        for kill in kills {
            let samples = kill.held.compactMap { held -> Double? in
                guard let job = byID[held.id], (job["attempts"] as Int) == held.attempts + 1,
                      let claimed = job["claimed_at"] as Double? else { return nil }
                return claimed - kill.time.timeIntervalSince1970
            }
            if let slowest = samples.max() {
                if kill.restartedAtOnce { report.recoveries.append(slowest) } else { report.leaseRecoveries.append(slowest) }
            }
        }
        if report.takenOver == 0 { report.problems.append("no job was taken over: the kills never caught a worker at work") }
        if report.kills < configuration.minimumKills {
            report.problems.append("only \(report.kills) kills before the timeout (\(configuration.minimumKills) wanted)")
        }

        var newest: [String: Int] = [:]
        for (index, write) in writes.enumerated() { newest[write.productID] = index }
        let rows = try reader.read { db in
            (try Row.fetchAll(db, sql: "SELECT product_id, name, image_digest FROM product"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) - COUNT(DISTINCT product_id) FROM product") ?? 0)
        }
        report.duplicates = rows.1
        var stored: [String: (name: String, digest: String?)] = [:]
        for row in rows.0 { stored[row["product_id"]] = (row["name"], row["image_digest"]) }
        for (productID, index) in newest {
            guard let product = stored[productID] else { report.lost += 1; continue }
            if product.name != writes[index].name || product.digest != digests[writes[index].image] { report.stale += 1 }
        }
        report.lost += failed.count
        let unexpected = Set(stored.keys).subtracting(newest.keys)
        if !unexpected.isEmpty { report.problems.append("\(unexpected.count) products that no job wrote") }
        // The vectors of a sample, recomputed: the stored one must be exactly the newest write's.
        let model = try EmbeddingModel.load(manifestURL: setup.model)
        let embedder = ProductEmbedder(model: model)
        for productID in newest.keys.sorted().prefix(configuration.vectorChecks) {
            let write = writes[newest[productID]!]
            let expected = try embedder.record(ProductFields(productID: productID, name: write.name),
                                               image: setup.images[write.image], imageDigest: nil, imagePath: nil)
            if try store.product(id: productID)?.fused != expected.fused { report.stale += 1 }
        }
        if report.lost > 0 { report.problems.append("\(report.lost) writes lost") }
        if report.duplicates > 0 { report.problems.append("\(report.duplicates) duplicate products") }
        if report.stale > 0 { report.problems.append("\(report.stale) products not at their newest write") }
        return report
    }
}
