import Dispatch
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import VitrineServer
import VitrineStore

/// The two errors no client input causes: the database unavailable (503) and an
/// unexpected failure (500, logged with the request id, answered without internals).
@Suite("HTTP errors from the server's side")
struct ErrorRouteTests {
    @Test("a database held by another writer past the busy timeout answers 503 store_unavailable, and the next write succeeds")
    func storeUnavailable() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("e.sqlite").path
        let store = try SQLiteProductStore(path: path, busyTimeout: 0.2)
        var configuration = ServerConfiguration()
        configuration.workers = 0
        let app = VitrineServer.application(configuration: configuration, storage: Storage(sqlite: store), model: RouteTests.model)
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        try await app.test(.router) { client in
            // Another connection (as another process would) takes the write lock and keeps it.
            let other = try DatabaseQueue(path: path)
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
            Thread {
                try? other.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        locked.signal()
                        _ = release.wait(timeout: .now() + 120) // held until the request has been answered
                        return .rollback
                    }
                }
                done.signal()
            }.start()
            #expect(locked.wait(timeout: .now() + 60) == .success)
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: form,
                                     body: ByteBuffer(string: "product_id=a&name=Lampe")) { (response: TestResponse) async throws in
                try RouteTests.expectError(response, .serviceUnavailable, "store_unavailable")
                // A fixed sentence with the request id: no path, no SQL, no SQLite message.
                let message = try #require(try RouteTests.json(response.body)["message"] as? String)
                #expect(message.contains("request id") && !message.contains(path) && !message.contains("SQLite") && !message.contains("BEGIN"), "\(message)")
                #expect(response.headers[.retryAfter] == "1")
            }
            release.signal()
            #expect(done.wait(timeout: .now() + 30) == .success)
            try await client.execute(uri: "/api/v1/index-product", method: .post, headers: form,
                                     body: ByteBuffer(string: "product_id=a&name=Lampe")) { #expect($0.status == .ok) }
        }
    }

    @Test("an unexpected error answers 500 with the request id and none of the error's text")
    func unexpected() async throws {
        struct Secret: Error, CustomStringConvertible { var description: String { "password=hunter2 at /srv/db" } }
        let router = Router(context: VitrineRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/boom") { _, _ -> String in throw Secret() }
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in LogLines.Handler(lines: lines) }
        try await Application(router: router, logger: logger).test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { (response: TestResponse) async throws in
                try RouteTests.expectError(response, .internalServerError, "internal")
                let message = try #require(try RouteTests.json(response.body)["message"] as? String)
                #expect(message.contains("request id") && !message.contains("hunter2") && !message.contains("/srv"))
                // The log has what the answer leaves out: the error, under the same request id.
                let logged = try #require(lines.value.first { $0.contains("unexpected error") })
                #expect(logged.contains("hunter2"))
                let id = try #require(message.split(separator: "request id ").last?.dropLast())
                #expect(logged.contains("request_id=\(id)"), "\(logged) / \(message)")
            }
        }
    }
}

/// Log lines kept in memory.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var value: [String] { lock.withLock { lines } }
    func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let lines: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            lines.append("\(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }
}
