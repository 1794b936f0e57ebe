import Foundation

/// Hosts for a test, on one machine: each a network namespace with its own address on a private
/// subnet, joined by a bridge on the machine's side (which has the subnet's `.1`, so the test
/// itself is a client on the same network). Needs root; ``remove()`` takes everything down,
/// and so does a watchdog within a second of the test process ending, however it ends.
public final class TestHosts: @unchecked Sendable {
    /// A host: its namespace and its address.
    public struct Host: Sendable {
        /// The namespace's name.
        public let namespace: String
        /// Its IPv4 address.
        public let address: String

        /// `ip netns exec <namespace>`: what runs a program on this host.
        public var prefix: [String] { [TestHosts.ip, "netns", "exec", namespace] }
    }

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/sbin/ip"

    /// The hosts, in the order their names were given.
    public let hosts: [String: Host]
    /// The machine's own address on the test network (the bridge's).
    public let bridgeAddress: String
    private let bridge: String
    private let tag: String

    /// Why namespaces cannot be made here, or nil when they can (root, `ip`, a kernel that allows them).
    public static func unavailable() -> String? {
        guard getuid() == 0 else { return "network namespaces need root" }
        guard FileManager.default.isExecutableFile(atPath: ip) else { return "the ip command (iproute2) is not installed" }
        let probe = "vtprobe\(getpid() % 10_000)"
        do {
            try Command.run([ip, "netns", "add", probe])
            try Command.run([ip, "netns", "delete", probe])
            return nil
        } catch {
            return "network namespaces cannot be created here: \(error)"
        }
    }

    /// Makes one namespace per name, on subnet 10.(200 + pid % 50).(pid % 250).0/24.
    public init(_ names: [String]) throws {
        let pid = Int(getpid())
        tag = String(pid % 100_000)
        let subnet = "10.\(200 + pid % 50).\(pid % 250)"
        bridge = "vtb\(tag)"
        bridgeAddress = "\(subnet).1"
        var hosts: [String: Host] = [:]
        for (index, name) in names.enumerated() {
            hosts[name] = Host(namespace: "vt\(tag)-\(name)", address: "\(subnet).\(10 + index)")
        }
        self.hosts = hosts
        try watchdog()
        do {
            try Command.run([Self.ip, "link", "add", bridge, "type", "bridge"])
            try Command.run([Self.ip, "addr", "add", "\(bridgeAddress)/24", "dev", bridge])
            try Command.run([Self.ip, "link", "set", bridge, "up"])
            for (index, name) in names.enumerated() {
                guard let host = hosts[name] else { continue }
                let outside = "vto\(tag)\(index)", inside = "vti\(tag)\(index)"
                try Command.run([Self.ip, "netns", "add", host.namespace])
                try Command.run([Self.ip, "link", "add", outside, "type", "veth", "peer", "name", inside])
                try Command.run([Self.ip, "link", "set", inside, "netns", host.namespace])
                try Command.run([Self.ip, "link", "set", outside, "master", bridge])
                try Command.run([Self.ip, "link", "set", outside, "up"])
                try Command.run(host.prefix + [Self.ip, "addr", "add", "\(host.address)/24", "dev", inside])
                try Command.run(host.prefix + [Self.ip, "link", "set", inside, "up"])
                try Command.run(host.prefix + [Self.ip, "link", "set", "lo", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// The host called `name`.
    public subscript(name: String) -> Host {
        guard let host = hosts[name] else { preconditionFailure("no test host \(name)") }
        return host
    }

    /// Removes the namespaces (their veths go with them) and the bridge.
    public func remove() {
        try? Command.run(["/bin/sh", "-c", removal])
    }

    private var removal: String {
        hosts.values.map { "\(Self.ip) netns delete \($0.namespace) 2>/dev/null;" }.joined(separator: " ")
            + " \(Self.ip) link delete \(bridge) 2>/dev/null; true"
    }

    private func watchdog() throws {
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(removal)"
        try Command.spawn(["/bin/sh", "-c", script])
    }
}
