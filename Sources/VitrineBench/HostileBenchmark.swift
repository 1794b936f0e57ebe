import ArgumentParser
import Foundation
import VitrineCatalog
import VitrineEmbedding
import VitrineProbe

/// `vitrine-bench hostile`: what hostile input costs the release server, measured
/// from outside: the API key under every spelling of every route, a 27 MB field
/// (time to refusal, memory growth read from /proc), an upload's memory, 100
/// clients trickling a byte a second beside a normal upload; and what embedding
/// a long text costs.
struct HostileBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile", abstract: "Auth spellings, 27 MB fields, upload memory, trickling clients, long-text embedding.")

    @Option(help: "Runs per figure; the median is printed.") var runs = 5

    func run() throws {
        guard let fixtures = Measure.fixturesFolder() else { throw ValidationError("run from inside the Vitrine repository") }
        try textCost(fixtures)
        try uploadMemory(fixtures)
        try keyAndFields()
        try trickle(fixtures)
    }

    // MARK: text

    func textCost(_ fixtures: URL) throws {
        let model = try loadModel(fixtures)
        let words = ["robe", "rouge", "coton", "légère", "élégante", "lampe", "bureau", "cuir", "sneakers", "wool", "scarf", "ceramic",
                     "été", "confortable", "durable", "classique", "premium", "recyclée", "mug", "canapé"]
        var generator = SeededGenerator(state: 64)
        func text(_ bytes: Int) -> String {
            var out = ""
            while out.utf8.count < bytes { out += words.randomElement(using: &generator)! + " " }
            return String(out.utf8.prefix(bytes)) ?? out
        }
        print("text embedding (name + description, one core, median of \(runs * 4) runs):")
        for (label, description) in [("1 KiB", text(1 << 10)), ("16 KiB", text(16 << 10)), ("64 KiB", text(64 << 10)),
                                     ("64 KiB, one word", String(repeating: "a", count: 64 << 10))] {
            let product = ProductText(name: "Robe rouge", description: description, metadata: "")
            _ = try model.embedText(product)
            let seconds = try Measure.median(runs: runs * 4) { _ = try model.embedText(product) }
            print("  \(label) description: \(Measure.format(seconds * 1000, 2)) ms")
        }
    }

    // MARK: the key, huge fields

    func keyAndFields() throws {
        let key = "bench-key"
        let server = try BenchServer(["--workers", "0", "--api-key", key])
        var sent = 0, open = 0
        for route in RequestFuzzer.routes {
            let path = route.path.replacingOccurrences(of: "{id}", with: "p1")
            let isPublic = ["/health", "/ready", "/", "/app.js", "/app.css"].contains(route.path)
            for spelling in PathSpellings.of(path) {
                let answer = try RawHTTP.send(port: server.port, RawHTTP.request(route.method, spelling,
                                                                                  headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                                                  body: Array("product_id=p1&name=x".utf8)))
                sent += 1
                if !isPublic, let status = answer?.status, status != 401 { open += 1; print("  OPEN: \(route.method) \(spelling) → \(status)") }
            }
        }
        print("API key: \(sent) requests without the key (\(RequestFuzzer.routes.count) routes, each spelt up to 15 ways); data routes answered other than 401: \(open)")

        let huge = 27_000_000
        let cases: [(String, [UInt8])] = [
            ("urlencoded name", RawHTTP.request("POST", "/api/v1/index-product", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Bearer \(key)")],
                                                body: Array("product_id=big&name=".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: huge))),
            ("multipart name", RawHTTP.request("POST", "/api/v1/index-product-with-image", headers: [("Content-Type", "multipart/form-data; boundary=b"), ("Authorization", "Bearer \(key)")],
                                               body: Array("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: huge) + Array("\r\n--b--\r\n".utf8))),
            ("JSON name", RawHTTP.request("POST", "/api/v1/index-product", headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(key)")],
                                          body: Array("{\"product_id\":\"big\",\"name\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: huge) + Array("\"}".utf8))),
        ]
        for (label, bytes) in cases {
            var times: [Double] = [], growth: [Int] = [], answer = ""
            for _ in 0..<runs {
                let before = server.residentKiB, peakBefore = server.peakKiB
                let connection = try RawHTTPConnection(port: server.port)
                let started = Date()
                let sender = Thread { connection.send(bytes) }
                sender.start()
                let response = try connection.readResponse(timeout: 60)
                times.append(Date().timeIntervalSince(started))
                answer = "\(response?.status ?? 0) \(String(decoding: response?.body ?? [], as: UTF8.self).split(separator: ",").dropFirst().first ?? "")"
                Thread.sleep(forTimeInterval: 0.3)
                growth.append(max(server.residentKiB - before, server.peakKiB - peakBefore))
            }
            times.sort()
            growth.sort()
            print("27 MB \(label): answered \(answer) in \(Measure.format(times[times.count / 2] * 1000, 1)) ms (median of \(runs)); server memory growth \(growth[growth.count / 2]) KiB (median; peak or resident, whichever grew more)")
        }
        try server.stop()
    }

    // MARK: uploads

    func uploadMemory(_ fixtures: URL) throws {
        // A real photo's header, then 24 MB more: accepted at the door (the header is read), held until stored.
        var image = Array(try Data(contentsOf: fixtures.appendingPathComponent("products/images/p07.jpg")))
        image += [UInt8](repeating: 0, count: 24_000_000)
        let server = try BenchServer(["--workers", "0"])
        Thread.sleep(forTimeInterval: 0.5)
        let peakBefore = server.peakKiB
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"product_id\"\r\n\r\nbig\r\n--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nLampe\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n".utf8)
            + image + Array("\r\n--b--\r\n".utf8)
        let answer = try RawHTTP.send(port: server.port, RawHTTP.request("POST", "/api/v1/index-product-with-image",
                                                                          headers: [("Content-Type", "multipart/form-data; boundary=b")], body: body), timeout: 60)
        let growth = server.peakKiB - peakBefore
        print("one \(image.count / 1_000_000) MB upload: answered \(answer?.status ?? 0); server peak memory grew \(growth / 1024) MiB = \(Measure.format(Double(growth * 1024) / Double(image.count), 2))× the upload (the request holds it once; SQLite binds its own copy while it commits)")
        try server.stop()
    }

    // MARK: slow clients

    func trickle(_ fixtures: URL) throws {
        let server = try BenchServer(["--workers", "0", "--body-timeout", "5"])
        let photo = Array(try Data(contentsOf: fixtures.appendingPathComponent("products/images/p07.jpg")))
        func upload(_ id: String) -> [UInt8] {
            RawHTTP.request("POST", "/api/v1/index-product-with-image", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                            body: Array("--b\r\nContent-Disposition: form-data; name=\"product_id\"\r\n\r\n\(id)\r\n--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nLampe\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n".utf8)
                                + photo + Array("\r\n--b--\r\n".utf8))
        }
        let full = upload("slow")
        let headEnd = RawHTTPConnection.find([13, 10, 13, 10], in: full)! + 4
        let connections = try (0..<100).map { _ in try RawHTTPConnection(port: server.port) }
        for connection in connections { connection.send(Array(full[0..<(headEnd + 10)])) }
        final class Flag: @unchecked Sendable {
            let lock = NSLock()
            var value = false
            var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
            func set() { lock.lock(); value = true; lock.unlock() }
        }
        let stop = Flag()
        let trickler = Thread {
            var offset = headEnd + 10
            while offset < full.count {
                if stop.isSet { return }
                for connection in connections { connection.send([full[offset]]) }
                offset += 1
                Thread.sleep(forTimeInterval: 1)
            }
        }
        trickler.start()
        Thread.sleep(forTimeInterval: 0.5)
        var latencies: [Double] = [], accepted = 0
        for index in 0..<max(3, runs) {
            let started = Date()
            if try RawHTTP.send(port: server.port, upload("normal-\(index)"), timeout: 10)?.status == 202 { accepted += 1 }
            latencies.append(Date().timeIntervalSince(started))
        }
        latencies.sort()
        let waitStart = Date()
        let deadline = waitStart.addingTimeInterval(15)
        let closed = try connections.filter { try $0.waitForClose(timeout: max(0.01, deadline.timeIntervalSinceNow)) }.count
        let closedAfter = Date().timeIntervalSince(waitStart) + 0.5 + latencies.reduce(0, +)
        stop.set()
        print("100 clients trickling an upload a byte a second (--body-timeout 5): normal uploads accepted \(accepted)/\(latencies.count), median \(Measure.format(latencies[latencies.count / 2] * 1000, 1)) ms, slowest \(Measure.format(latencies.last! * 1000, 1)) ms; \(closed)/100 trickling connections closed, the last \(Measure.format(closedAfter, 1)) s after they started")
        try server.stop()
    }
}
