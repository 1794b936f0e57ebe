import Foundation

/// A throwaway PostgreSQL 15 cluster for tests: `initdb` in a temporary folder (as the
/// `postgres` user when the tests run as root: PostgreSQL refuses root), started on a free
/// port (or an address given), stopped and removed by ``stop()`` — and at the latest when the
/// test process exits.
public final class PostgresCluster: @unchecked Sendable {
    /// Where Debian keeps PostgreSQL 15's server programs.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// True when this machine has them.
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/initdb") }

    /// The role every test connects as (trusted: no password).
    public static let user = "vitrine"

    /// The cluster's folder.
    public let folder: URL
    /// The address it listens on.
    public let host: String
    /// Its port.
    public let port: Int
    /// The command that runs a program where the cluster lives (a network namespace's `ip netns exec NS`).
    private let prefix: [String]
    private let lock = NSLock()
    private var running = false

    /// The cluster shared by a test process's tests (each uses databases of its own).
    public static let shared: PostgresCluster = {
        do {
            let cluster = try PostgresCluster()
            try cluster.start()
            try cluster.stopWhenProcessEnds()
            return cluster
        } catch {
            fatalError("cannot start a throwaway PostgreSQL cluster: \(error) — install PostgreSQL 15 (apt-get install postgresql), as .ci/run does")
        }
    }()

    /// Creates (`initdb`) a cluster for `host` (127.0.0.1 by default) on `port` (a free one by default);
    /// `prefix` runs its programs elsewhere (a network namespace).
    public init(host: String = "127.0.0.1", port: Int? = nil, prefix: [String] = []) throws {
        guard Self.available else { throw ChaosError("PostgreSQL 15 is not installed (\(Self.binaries)/initdb): apt-get install postgresql") }
        self.host = host
        self.port = port ?? ChildProcess.freePort()
        self.prefix = prefix
        folder = URL(fileURLWithPath: "/tmp/vitrine-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 { try Command.run(["/bin/chown", "postgres:postgres", folder.path]) }
        try run(["initdb", "-D", folder.path + "/data", "-A", "trust", "-U", Self.user, "--no-sync", "-E", "UTF8"])
        // Test hosts connect from their own addresses.
        let hba = folder.appendingPathComponent("data/pg_hba.conf")
        let handle = try FileHandle(forWritingTo: hba)
        handle.seekToEndOfFile()
        handle.write(Data("host all all 0.0.0.0/0 trust\n".utf8))
        try handle.close()
    }

    /// Starts the server (waits until it accepts connections). Tests run without fsync (their
    /// data need not survive the machine); benchmarks with it, as a deployment would.
    public func start(fsync: Bool = false) throws {
        try run(["pg_ctl", "-D", folder.path + "/data", "-l", folder.path + "/log", "-w", "-t", "60", "-o",
                 "-p \(port) -k \(folder.path) -c listen_addresses=\(host) -c fsync=\(fsync ? "on" : "off") -c max_connections=300", "start"])
        lock.withLock { running = true }
    }

    /// Stops the server at once (`immediate`: as a crash would), keeping its data.
    public func kill() throws {
        try run(["pg_ctl", "-D", folder.path + "/data", "-m", "immediate", "-w", "stop"])
        lock.withLock { running = false }
    }

    /// Starts a watchdog that stops the server and removes its folder within a second of this
    /// process ending, however it ends (a crash or SIGKILL included).
    public func stopWhenProcessEnds() throws {
        let pid = getpid()
        let user = getuid() == 0 ? "/sbin/runuser -u postgres -- " : ""
        let script = """
            while kill -0 \(pid) 2>/dev/null; do sleep 1; done
            \(prefix.joined(separator: " ")) \(user)\(Self.binaries)/pg_ctl -D \(folder.path)/data -m immediate -w stop
            rm -rf \(folder.path)
            """
        try Command.spawn(["/bin/sh", "-c", script])
    }

    /// Stops the server and removes its folder.
    public func stop() {
        if lock.withLock({ running }) { try? kill() }
        try? FileManager.default.removeItem(at: folder)
    }

    /// The URL of `database` on this cluster.
    public func url(_ database: String) -> String { "postgres://\(Self.user)@\(host):\(port)/\(database)" }

    /// Creates a fresh database and returns its name.
    public func createDatabase() throws -> String {
        let name = "vitrine_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try sql("CREATE DATABASE \(name)")
        return name
    }

    /// Drops a database, closing its connections.
    public func dropDatabase(_ name: String) {
        try? sql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs SQL with psql (in `database`, `postgres` by default); returns what it printed.
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") throws -> String {
        try Command.run(prefix + [Self.binaries + "/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", "\(port)",
                               "-U", Self.user, "-d", database, "-c", statement])
    }

    private func run(_ arguments: [String]) throws {
        var command = prefix
        if getuid() == 0 { command += ["/sbin/runuser", "-u", "postgres", "--"] }
        try Command.run(command + [Self.binaries + "/" + arguments[0]] + arguments.dropFirst())
    }
}
