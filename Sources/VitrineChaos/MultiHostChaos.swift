import Foundation
import VitrineProbe

/// Vitrine on several hosts, sharing nothing but PostgreSQL: five network namespaces on this
/// machine — PostgreSQL on one, two `vitrine serve` nodes, two worker hosts with two
/// `vitrine worker` processes each — and clients on the machine itself sending synchronous writes
/// and uploads to both API nodes in turn. Mid-run one worker host's processes are SIGKILLed
/// (mid-batch), then one API node. Afterwards: every acknowledged write is stored once, every job
/// succeeded, and every API node (the remaining one, and the killed one started again, which loads
/// its index from the database) finds every product by search.
public enum MultiHostChaos {
    /// How hard to push.
    public struct Configuration: Sendable {
        /// Client threads.
        public var clients = 4
        /// Seconds of load before the worker host is killed, then before the API node is, then after.
        public var phases: [Double] = [3, 2, 2]
        /// The workers' lease, seconds (a killed worker's jobs are taken over after it).
        public var lease = 2.0
        /// Seconds to wait for the queue to drain.
        public var drainTimeout = 180.0
        /// Writes on one node timed until another node finds them.
        public var visibilityChecks = 10

        /// The defaults.
        public init() {}
    }

    /// What happened.
    public struct Report: Sendable {
        /// Requests sent; synchronous writes answered 200; uploads answered 202.
        public var sent = 0, acknowledgedWrites = 0, acknowledgedUploads = 0
        /// Acknowledged products not stored (or an upload stored without its image).
        public var lost = 0
        /// Acknowledged jobs that did not succeed.
        public var unfinishedJobs = 0
        /// Searches (on each node checked) that did not find their product.
        public var notFound = 0
        /// Products searched for, on how many nodes.
        public var searched = 0, nodesSearched = 0
        /// Seconds from a write acknowledged by one node to its product found by another node's search.
        public var visibility: [Double] = []
        /// Wall-clock seconds.
        public var seconds = 0.0
        /// Everything that went wrong.
        public var problems: [String] = []

        /// One paragraph of figures.
        public var summary: String {
            let sorted = visibility.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2], worst = sorted.last ?? 0
            return "multi-host: \(sent) requests to 2 API nodes, \(acknowledgedWrites) writes answered 200 and \(acknowledgedUploads) uploads 202; 2 workers and then 1 API node SIGKILLed; lost \(lost), unfinished jobs \(unfinishedJobs); \(searched) products searched on \(nodesSearched) nodes, not found \(notFound); write on one node → found on another: median \(String(format: "%.0f", median * 1000)) ms, max \(String(format: "%.0f", worst * 1000)) ms (\(visibility.count) writes); \(String(format: "%.0f", seconds)) s"
        }
    }

    /// Runs it (needs root: see ``TestHosts``).
    public static func run(_ setup: ChaosSetup, _ configuration: Configuration = Configuration(),
                           log: @escaping @Sendable (String) -> Void = { _ in }) throws -> Report {
        let started = Date()
        var report = Report()
        let hosts = try TestHosts(["db", "api1", "api2", "wk1", "wk2"])
        defer { hosts.remove() }
        let cluster = try PostgresCluster(host: hosts["db"].address, port: 5432, prefix: hosts["db"].prefix)
        try cluster.stopWhenProcessEnds()
        try cluster.start()
        defer { cluster.stop() }
        try cluster.sql("CREATE DATABASE catalogue")
        let url = cluster.url("catalogue")
        log("PostgreSQL on \(hosts["db"].address); database \(url)")

        var processes: [String: ChildProcess] = [:]
        defer { processes.values.forEach { $0.killNow() } }
        func start(_ name: String, on host: TestHosts.Host, _ arguments: [String]) throws {
            processes[name] = try ChildProcess(URL(fileURLWithPath: TestHosts.ip),
                                               Array(host.prefix.dropFirst()) + [setup.binary.path] + arguments,
                                               log: setup.folder.appendingPathComponent("\(name).log"))
        }
        func startAPI(_ name: String) throws {
            let host = hosts[name]
            try start(name, on: host, ["serve", "--host", host.address, "--port", "8000", "--db", url,
                                       "--model", setup.model.path, "--workers", "0"])
            let healthy = ChaosSetup.waitFor(60) {
                (try? RawHTTP.send(port: 8000, host: host.address, RawHTTP.request("GET", "/ready"), timeout: 2))??.status == 200
            }
            guard healthy else { throw ChaosError("\(name) did not become ready: \(processes[name]?.log.suffix(1500) ?? "")") }
        }
        // Both API nodes start together: the schema is migrated once, under the advisory lock.
        try start("api1", on: hosts["api1"], ["serve", "--host", hosts["api1"].address, "--port", "8000", "--db", url,
                                             "--model", setup.model.path, "--workers", "0"])
        try startAPI("api2")
        _ = ChaosSetup.waitFor(60) {
            (try? RawHTTP.send(port: 8000, host: hosts["api1"].address, RawHTTP.request("GET", "/ready"), timeout: 2))??.status == 200
        }
        for host in ["wk1", "wk2"] {
            for process in ["a", "b"] {
                try start("\(host)-\(process)", on: hosts[host], ["worker", "--worker-id", "\(host)-\(process)", "--db", url,
                                                               "--model", setup.model.path, "--lease", String(configuration.lease)])
            }
        }

        let clients = ChaosClients(count: configuration.clients,
                                   targets: [(hosts["api1"].address, 8000), (hosts["api2"].address, 8000)],
                                   images: setup.images, prefix: "mh")
        Thread.sleep(forTimeInterval: configuration.phases[0])
        processes["wk1-a"]?.killNow()
        processes["wk1-b"]?.killNow()
        log("SIGKILLed the processes of worker host wk1")
        Thread.sleep(forTimeInterval: configuration.phases[1])
        processes["api1"]?.killNow()
        log("SIGKILLed API node api1")
        Thread.sleep(forTimeInterval: configuration.phases[2])
        clients.stop()

        var writes: Set<String> = [], uploads: [String: String] = [:]
        report.sent = clients.sent.count
        for (id, entry) in clients.outcomes {
            guard case .answered(let status, let jobID) = entry.outcome else { continue }
            if status == 200 { writes.insert(id) }
            if status == 202, let jobID { uploads[id] = jobID }
        }
        report.acknowledgedWrites = writes.count
        report.acknowledgedUploads = uploads.count
        log("\(report.sent) sent; \(writes.count) writes and \(uploads.count) uploads acknowledged; waiting for the queue")

        let drained = try ChaosSetup.waitFor(configuration.drainTimeout) {
            try cluster.sql("SELECT COUNT(*) FROM job WHERE status IN ('queued', 'processing')", database: "catalogue")
                .trimmingCharacters(in: .whitespacesAndNewlines) == "0"
        }
        if !drained { report.problems.append("the queue did not drain within \(Int(configuration.drainTimeout)) s") }
        let succeeded = Set(try cluster.sql("SELECT id FROM job WHERE status = 'succeeded'", database: "catalogue")
            .split(separator: "\n").map(String.init))
        report.unfinishedJobs = uploads.values.filter { !succeeded.contains($0) }.count
        let stored = try cluster.sql("SELECT product_id, image_vector IS NOT NULL FROM product", database: "catalogue")
            .split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        var withImage: [String: Bool] = [:]
        for row in stored where row.count == 2 { withImage[row[0]] = row[1] == "t" }
        let lostWrites = writes.filter { withImage[$0] == nil }
        let lostUploads = uploads.keys.filter { withImage[$0] != true }
        report.lost = lostWrites.count + lostUploads.count
        if report.lost > 0 { report.problems.append("lost: \((Array(lostWrites) + lostUploads).prefix(10).joined(separator: ", "))") }
        if report.unfinishedJobs > 0 { report.problems.append("\(report.unfinishedJobs) acknowledged jobs did not succeed") }

        // api1 comes back: it loads its index from the database once, then follows.
        try startAPI("api1")
        let acknowledged = Array(writes) + Array(uploads.keys)
        report.searched = acknowledged.count
        for node in ["api2", "api1"] {
            report.nodesSearched += 1
            var missing: [String] = []
            for id in acknowledged where !found(id, on: hosts[node].address) { missing.append(id) }
            report.notFound += missing.count
            if !missing.isEmpty { report.problems.append("\(node)'s search misses \(missing.count): \(missing.prefix(5).joined(separator: ", "))") }
        }

        // A write on one node, then the other node's search, until it finds it.
        for check in 0..<configuration.visibilityChecks {
            let id = "vis\(check)"
            let (writer, reader) = check % 2 == 0 ? ("api1", "api2") : ("api2", "api1")
            let body = Array("product_id=\(id)&name=\(ChaosClients.name(id).replacingOccurrences(of: " ", with: "+"))".utf8)
            let response = try RawHTTP.send(port: 8000, host: hosts[writer].address, RawHTTP.request(
                "POST", "/api/v1/index-product", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body))
            let acknowledgedAt = Date()
            guard response?.status == 200 else { report.problems.append("\(writer) refused a write: \(response?.status ?? 0)"); continue }
            let seen = ChaosSetup.waitFor(5) { found(id, on: hosts[reader].address) }
            if seen { report.visibility.append(Date().timeIntervalSince(acknowledgedAt)) } else {
                report.problems.append("\(id), written on \(writer), was not found on \(reader) within 5 s")
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// True when the node's search for the product's name finds it among the first ten.
    static func found(_ id: String, on host: String) -> Bool {
        let body = try? JSONSerialization.data(withJSONObject: ["query": ChaosClients.name(id), "top_k": 10])
        guard let response = try? RawHTTP.send(port: 8000, host: host, RawHTTP.request(
                "POST", "/api/v1/search", headers: [("Content-Type", "application/json")], body: Array(body ?? Data()))),
              response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let results = object["results"] as? [[String: Any]] else { return false }
        return results.contains { $0["product_id"] as? String == id }
    }
}
