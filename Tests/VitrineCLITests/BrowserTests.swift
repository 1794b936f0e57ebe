import Foundation
import Testing
import VitrineTestSupport

/// The search page in a real browser: the real server on the sample catalogue,
/// headless Chromium running the page's JavaScript against it.
@Suite("The search page in headless Chromium", .serialized)
struct BrowserTests {
    /// Debian's `chromium` (installed by .ci/run), or another Chromium on the PATH.
    static let chromium: String? = {
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init) + ["/usr/bin"]
        for name in names {
            for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) { return folder + "/" + name }
        }
        return nil
    }()

    /// Runs Chromium headless on `url` with `arguments`; its standard output goes to a
    /// file (its helper processes may keep a pipe open). Killed after `timeout` seconds.
    static func chromium(_ url: String, _ arguments: [String], timeout: TimeInterval = 90) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("stdout")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--virtual-time-budget=10000"]
            + arguments + [url]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try handle.close()
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    @Test("a text search shows the expected product with its thumbnail loaded",
          .enabled(if: chromium != nil, "no Chromium on this machine: apt-get install chromium (.ci/run does)"))
    func textSearch() async throws {
        let folder = try ServeProcessTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcessTests.Server(arguments: ["--db", folder.appendingPathComponent("b.sqlite").path, "--workers", "1",
                                                              "--catalog", "fixtures/catalog/catalog.csv"])
        defer { server.stop() }
        let url = "\(server.base)/#/search?q=robe%20d%27%C3%A9t%C3%A9%20longue&mode=fused"
        // The page renders cards as <a class="card" … data-product-id="ID"><img class="thumb" … data-loaded="true">.
        let expected = #/data-product-id="p12"><img class="thumb"[^>]*data-loaded="true"/#
        var dom = ""
        for _ in 0..<3 where (try? expected.firstMatch(in: dom)) == nil {
            dom = try Self.chromium(url, ["--dump-dom"])
        }
        #expect(dom.contains("results for “robe d’été longue”") || dom.contains("results for “robe d'été longue”"), "\(dom.prefix(3000))")
        #expect(try expected.firstMatch(in: dom) != nil, "p12 with a loaded thumbnail is not in the rendered page:\n\(dom.prefix(6000))")
        // p12 ("Robe d'été longue") comes first.
        let first = dom.firstRange(of: "data-product-id=\"")
        #expect(first.map { dom[$0.upperBound...].hasPrefix("p12\"") } == true)
    }
}
