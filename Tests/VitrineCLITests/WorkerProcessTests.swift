import Foundation
import Testing
import VitrineCatalog
import VitrineStore
import VitrineTestSupport

/// Worker processes sharing one database; one is killed mid-way.
@Suite("vitrine worker processes")
struct WorkerProcessTests {
    @Test("200 jobs, two worker processes, one killed with SIGKILL: every job succeeds, each product once")
    func killOneWorker() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-workers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("w.sqlite").path
        let store = try SQLiteProductStore(path: db)
        let queue = SQLiteJobQueue(store: store)
        let variants = Repository.fixtures.appendingPathComponent("products/variants")
        let photos = try FileManager.default.contentsOfDirectory(atPath: variants.path).sorted().prefix(40)
            .map { try Data(contentsOf: variants.appendingPathComponent($0)) }
        var jobs: [String] = []
        for index in 0..<200 {
            let image = photos[index % photos.count]
            jobs.append(try queue.enqueue(IndexRequest(productID: "w\(index)", name: "Produit \(index)"), image: image,
                                          imageDigest: Digest.sha256(image), maxAttempts: 5).id)
        }
        func start(_ id: String) throws -> Process {
            let process = Process()
            process.executableURL = ProcessRunner.binary
            process.arguments = ["worker", "--worker-id", id, "--db", db, "--lease", "2", "--model",
                                 Repository.root.appendingPathComponent("models/vitrine-clip-v2.json").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let doomed = try start("w1"), survivor = try start("w2")
        defer {
            if doomed.isRunning { kill(doomed.processIdentifier, SIGKILL) }
            if survivor.isRunning { kill(survivor.processIdentifier, SIGKILL) }
        }
        // Kill w1 once some jobs are done (bounded wait).
        var deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try queue.counts()[.succeeded] ?? 0) < 20 { usleep(10_000) }
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        #expect(doomed.terminationReason == .uncaughtSignal)
        // Everything finishes (w2 takes over w1's leased job when its lease expires).
        deadline = Date().addingTimeInterval(90)
        while Date() < deadline, (try queue.counts()[.succeeded] ?? 0) < 200 { usleep(20_000) }
        let counts = try queue.counts()
        #expect(counts[.succeeded] == 200 && counts[.failed] == 0 && counts[.queued] == 0 && counts[.processing] == 0)
        #expect(try store.count() == 200, "each product exactly once")
        for id in jobs.prefix(5) { #expect(try queue.job(id: id)?.status == .succeeded) }
        // SIGTERM stops the survivor cleanly.
        survivor.terminate()
        let stopDeadline = Date().addingTimeInterval(20)
        while survivor.isRunning && Date() < stopDeadline { usleep(10_000) }
        #expect(!survivor.isRunning && survivor.terminationReason == .exit && survivor.terminationStatus == 0)
    }
}
