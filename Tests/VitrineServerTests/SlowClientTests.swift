import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
@testable import VitrineServer
import VitrineStore
import VitrineTestSupport

/// A flag one thread sets and another reads (a class, so an escaping closure holds it safely).
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// Slow and silent clients over real sockets: they are closed after the timeouts and hold nothing meanwhile.
@Suite("Slow clients", .serialized)
struct SlowClientTests {
    /// A multipart upload of a fixture photo, as raw bytes.
    static func upload(id: String) -> [UInt8] {
        let (headers, body) = RouteTests.multipart(["product_id": id, "name": "Lampe de bureau"], image: RouteTests.image("products/images/p07.jpg"))
        return RawHTTP.request("POST", "/api/v1/index-product-with-image", headers: [("Content-Type", headers[.contentType]!)],
                               body: Array(buffer: body))
    }

    @Test("100 clients trickling an upload a byte a second do not delay a normal upload, and are closed by the body timeout, not held")
    func trickle() async throws {
        try await RouteTests.withLiveServer({ $0.bodyTimeout = 2; $0.headerTimeout = 2; $0.idleTimeout = 2 }) { port, deps in
            do {
                let full = Self.upload(id: "slow")
                let headEnd = try #require(RawHTTPConnection.find([13, 10, 13, 10], in: full)) + 4
                let connections = try await onOwnThread { () throws -> [RawHTTPConnection] in
                    let list = try (0..<100).map { _ in try RawHTTPConnection(port: port) }
                    for connection in list { connection.send(Array(full[0..<(headEnd + 10)])) }
                    return list
                }
                let stop = StopSignal()
                let trickling = Task {
                    try await onOwnThread {
                        var offset = headEnd + 10
                        while !stop.isSet && offset < full.count {
                            for connection in connections { connection.send([full[offset]]) }
                            offset += 1
                            Thread.sleep(forTimeInterval: 1)
                        }
                    }
                }
                defer { stop.set() }
                try await Task.sleep(for: .milliseconds(500))
                // A normal upload meanwhile: accepted at once.
                let started = Date()
                let answer = try await onOwnThread { try RawHTTP.send(port: port, Self.upload(id: "normal"), timeout: 60) }
                let seconds = Date().timeIntervalSince(started)
                #expect(answer?.status == 202, "\(String(decoding: answer?.body ?? [], as: UTF8.self))")
                // (Under 1 s is measured on the release build by `vitrine-bench hostile`: 1.2 ms. Here, beside the
                // whole parallel suite, whose blocking tests can hold this process's two cooperative threads,
                // only that it is answered, not refused or held for ever.)
                #expect(seconds < 30, "a normal upload took \(seconds) s beside 100 trickling clients")
                // The server that answered is this test's: its job is in this test's queue. (Two fresh-clone CI runs
                // saw none of the trickling connections closed, as if they had reached a server with the default
                // 60-s timeouts; this tells that apart from a guard that did not fire.)
                let jobID = (try? JSONSerialization.jsonObject(with: Data(answer?.body ?? [])) as? [String: Any])?["job_id"] as? String
                let ownJob = try jobID.map { try deps.storage.jobs.job(id: $0) != nil } ?? false
                #expect(ownJob, "the normal upload's job \(jobID ?? "(none)") is not in this test's queue: another server answered on port \(port)")
                // Every trickling connection is closed, not held: by the 2-s body timeout, which the release build's
                // `vitrine-bench hostile` times. Here the bound is slack for a fully loaded CI run, where every suite
                // runs at once beside PostgreSQL clusters and child processes (one such run saw none closed 6 s after
                // the normal upload's answer).
                let waitStarted = Date()
                let closed = try await onOwnThread { () throws -> Int in
                    let deadline = Date().addingTimeInterval(60)
                    return try connections.filter { try $0.waitForClose(timeout: max(0.01, deadline.timeIntervalSinceNow)) }.count
                }
                let waited = Date().timeIntervalSince(waitStarted)
                let summary = "trickle: a normal upload answered in \(String(format: "%.2f", seconds)) s beside 100 trickling clients; \(closed) closed, the last \(String(format: "%.2f", waited)) s after that answer"
                print(summary)
                #expect(closed == 100, "\(summary)")
                stop.set()
                try await trickling.value
                #expect(deps.uploads.current == 0, "the closed uploads gave back what they held")
            }
        }
    }

    @Test("a silent connection is closed after the header timeout, an idle keep-alive one after the idle timeout")
    func silentAndIdle() async throws {
        try await RouteTests.withLiveServer({ $0.headerTimeout = 1; $0.idleTimeout = 3; $0.bodyTimeout = 5 }) { port, deps in
            do {
                try await onOwnThread {
                    // Closed, not held: not before the 1-s header timeout, and within slack for a fully loaded
                    // test run (where an in-process server's timers were seen to run seconds late).
                    let silent = try RawHTTPConnection(port: port)
                    let started = Date()
                    #expect(try silent.waitForClose(timeout: 20))
                    #expect(Date().timeIntervalSince(started) > 0.9, "not before the header timeout")
                    // Half a head, never finished.
                    let partial = try RawHTTPConnection(port: port)
                    partial.send("GET /health HTTP/1.1\r\nHost: a\r\n")
                    // Closed, not held: within the 1-s header timeout plus slack for a fully loaded test run
                    // (a CI run with every suite at once once took more than 5 s).
                    #expect(try partial.waitForClose(timeout: 20))
                    // Keep-alive: a request answered, then silence.
                    let idle = try RawHTTPConnection(port: port)
                    idle.send(RawHTTP.request("GET", "/health", keepAlive: true))
                    #expect(try idle.readResponse(timeout: 60)?.status == 200)
                    idle.send(RawHTTP.request("GET", "/health", keepAlive: true))
                    #expect(try idle.readResponse(timeout: 60)?.status == 200, "the connection is reused within the idle timeout")
                    let idleStart = Date()
                    #expect(try idle.waitForClose(timeout: 20))
                    #expect(Date().timeIntervalSince(idleStart) > 2, "not before the 3-s idle timeout")
                }
            }
        }
    }
}
