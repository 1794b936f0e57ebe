import Foundation
import Testing
import VitrineChaos
import VitrineTestSupport

// Nested in the chaos suite, so that its runs (each a machine's worth of processes, and some
// timing-sensitive: leases of 1 s) never overlap one another.
extension ChaosTests {
/// Vitrine on several hosts (network namespaces) sharing one PostgreSQL: see ``MultiHostChaos``.
@Suite("Several hosts on PostgreSQL")
struct MultiHostTests {
    static let unavailable = TestHosts.unavailable()

    @Test("PostgreSQL, 2 API nodes and 2 worker hosts; a worker host and an API node SIGKILLed: nothing lost, every job done, every node finds every product",
          ProcessRunner.needs(unavailable == nil && PostgresCluster.available,
                              "needs root, iproute2 and PostgreSQL 15: \(unavailable ?? "PostgreSQL is not installed")"))
    func severalHosts() async throws {
        let setup = try ChaosTests.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // On a thread of its own: its waits would hold a thread of the cooperative pool other tests need.
        let report = try await onOwnThread { try MultiHostChaos.run(setup) { print($0) } }
        ChaosTests.check(report.summary, report.problems)
        #expect(report.acknowledgedWrites > 50 && report.acknowledgedUploads > 50, "both kinds of write were made")
        #expect(report.lost == 0 && report.unfinishedJobs == 0 && report.notFound == 0)
        #expect(report.nodesSearched == 2 && report.visibility.count == 10 && report.visibility.allSatisfy { $0 < 1 },
                "a write on one node is found on the other within a second")
    }
}

/// PostgreSQL restarting under a running server: see ``DatabaseRestartChaos``.
@Suite("PostgreSQL restarts under load")
struct DatabaseRestartTests {
    @Test("PostgreSQL killed and started again under load: 503 meanwhile, the server recovers by itself, nothing acknowledged is lost",
          ProcessRunner.needs(PostgresCluster.available, "needs PostgreSQL 15 (apt-get install postgresql)"))
    func restart() async throws {
        let setup = try ChaosTests.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let report = try await onOwnThread { try DatabaseRestartChaos.run(setup) { print($0) } }
        ChaosTests.check(report.summary, report.problems)
        #expect(report.unavailable > 0 && report.acknowledgedAfterRestart > 0 && report.lost == 0)
        #expect(report.recovery >= 0 && report.recovery < 5, "recovered within seconds of PostgreSQL accepting connections")
    }

    @Test("a node started before its database waits for it (up to a minute), then serves",
          ProcessRunner.needs(PostgresCluster.available, "needs PostgreSQL 15 (apt-get install postgresql)"))
    func startsBeforeItsDatabase() async throws {
        let setup = try ChaosTests.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let cluster = try PostgresCluster()
        try cluster.stopWhenProcessEnds()
        defer { cluster.stop() }
        let server = ServerProcess(binary: setup.binary, arguments: ["--db", cluster.url("postgres"), "--model", setup.model.path,
                                                                     "--workers", "0"],
                                   log: setup.folder.appendingPathComponent("serve.log"), port: ChildProcess.freePort())
        defer { server.child?.killNow() }
        try await onOwnThread {
            Thread { Thread.sleep(forTimeInterval: 3); try? cluster.start() }.start()
            try server.start(timeout: 60)
        }
        #expect(server.log.contains("waiting up to 60 s for the database"), "\(server.log)")
        let ready = try await onOwnThread { try RawHTTP.send(port: server.port, RawHTTP.request("GET", "/ready")) }
        #expect(ready?.status == 200)
    }
}
}
