import Foundation
import Testing
import VitrineTestSupport

/// The search page in a real browser: the real server on the sample catalogue,
/// headless Chromium running the page's JavaScript against it.
@Suite("The search page in headless Chromium", .serialized, .onOwnThreads)
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
          ProcessRunner.needs(chromium != nil, "no Chromium on this machine: apt-get install chromium (.ci/run does)"))
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

    /// The rendered page at `fragment`, once `ready` matches (up to three loads).
    static func render(_ server: ServeProcessTests.Server, _ fragment: String, until ready: Regex<Substring>) throws -> String {
        var dom = ""
        for _ in 0..<3 where (try? ready.firstMatch(in: dom)) == nil {
            dom = try chromium("\(server.base)/\(fragment)", ["--dump-dom"])
        }
        return dom
    }

    @Test("the product view, the duplicates view and the indexing view render on the sample catalogue",
          ProcessRunner.needs(chromium != nil, "no Chromium on this machine: apt-get install chromium (.ci/run does)"))
    func views() async throws {
        let folder = try ServeProcessTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcessTests.Server(arguments: ["--db", folder.appendingPathComponent("v.sqlite").path, "--workers", "1",
                                                              "--catalog", "fixtures/catalog/catalog.csv"])
        defer { server.stop() }
        // A product: its name, its metadata, and its most similar products (not itself).
        let product = try Self.render(server, "#/product/p12", until: #/id="similar"[^>]*>.*data-product-id=/#)
        #expect(product.contains("Robe d'été longue</h1>") && product.contains("vetements"), "\(product.prefix(4000))")
        let similar = product.firstRange(of: "id=\"similar\"").map { String(product[$0.upperBound...]) } ?? ""
        #expect(similar.contains("data-product-id=") && !similar.contains("data-product-id=\"p12\""))
        // An id with a slash, a percent sign, a plus, a space, an accent and an emoji: stored through the
        // API, then shown by the page from its own link (encodeURIComponent), with its thumbnail.
        let oddID = "a/b 100% +é😀"
        let photo = try Data(contentsOf: Repository.fixtures.appendingPathComponent("products/images/p07.jpg"))
        let (type, body) = ServeProcessTests.multipart(["product_id": oddID, "name": "Lampe étrange"], image: photo)
        let (status, job) = try await ServeProcessTests.request("\(server.base)/api/v1/index-product-with-image?wait=true", method: "POST",
                                                                 contentType: type, body: body)
        #expect(status == 200 && job["status"] as? String == "succeeded" && job["product_id"] as? String == oddID, "\(job)")
        let encoded = oddID.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"))!
        let loaded = #/alt="Lampe étrange"[^>]*data-loaded="true"/#
        let odd = try Self.render(server, "#/product/\(encoded)", until: loaded)
        #expect(odd.contains("Lampe étrange</h1>") && odd.contains("<dd>\(oddID)</dd>"), "\(odd.prefix(4000))")
        #expect(try loaded.firstMatch(in: odd) != nil, "the thumbnail of \(oddID) loaded: \(odd.prefix(4000))")
        // Near-duplicates at the default threshold: the lamp and its re-encoded copy side by side.
        let duplicates = try Self.render(server, "#/duplicates", until: #/Group 1:/#)
        #expect(duplicates.contains("data-product-id=\"p04\"") && duplicates.contains("data-product-id=\"p04-bis\""),
                "\(duplicates.prefix(4000))")
        // The indexing view: the figures from /api/v1/stats.
        // The 25 products of the catalogue and the odd-id one.
        let indexing = try Self.render(server, "#/indexing", until: #/<dt>Products<\/dt><dd>26<\/dd>/#)
        #expect(indexing.contains("<dt>Products</dt><dd>26</dd>") && indexing.contains("No failed jobs."), "\(indexing.prefix(4000))")
    }

    @Test("filters from the catalogue's facets (checkboxes, a price range), the hybrid mode and more results",
          ProcessRunner.needs(chromium != nil, "no Chromium on this machine: apt-get install chromium (.ci/run does)"))
    func filters() async throws {
        let folder = try ServeProcessTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Twelve products of three categories with prices, no images.
        var rows = ["product_id,name,description,metadata,image"]
        for (index, (category, word)) in [("lampes", "Lampe"), ("chaises", "Chaise"), ("tables", "Table")].enumerated() {
            for number in 0..<4 {
                let price = 5 + 10 * number + index
                rows.append("\(category.prefix(1))\(number),\(word) \(number),\(word) en bois numéro \(number),\"{\"\"category\"\": \"\"\(category)\"\", \"\"price\"\": \(price)}\",")
            }
        }
        let catalogue = folder.appendingPathComponent("filters.csv")
        try (rows.joined(separator: "\n") + "\n").write(to: catalogue, atomically: true, encoding: .utf8)
        let server = try ServeProcessTests.Server(arguments: ["--db", folder.appendingPathComponent("f.sqlite").path, "--workers", "0",
                                                              "--catalog", catalogue.path])
        defer { server.stop() }
        func ids(_ dom: String) -> [String] {
            dom.matches(of: #/data-product-id="([^"]+)"/#).map { String($0.output.1) }
        }
        // The lamps only, two a page, two pages loaded: four lamps, and no "more results" after them.
        let filter = "%7B%22category%22%3A%7B%22in%22%3A%5B%22lampes%22%5D%7D%7D"
        let lamps = try Self.render(server, "#/search?q=bois&filter=\(filter)&limit=2&pages=2", until: #/of 4 matching results/#)
        #expect(Set(ids(lamps)) == ["l0", "l1", "l2", "l3"], "\(lamps.prefix(6000))")
        #expect(lamps.contains(#"<fieldset data-attribute="category">"#) && lamps.contains(#"value="&quot;lampes&quot;" checked="""#),
                "the category checkboxes, lamps checked: \(lamps.prefix(6000))")
        #expect(lamps.contains(#"<fieldset data-attribute="price">"#) && lamps.contains(#"aria-label="price from""#), "a price range")
        #expect(lamps.contains(#"<button id="more" type="button" hidden="">"#), "four of four: no more results")
        let first = try Self.render(server, "#/search?q=bois&filter=\(filter)&limit=2", until: #/of 4 matching results/#)
        #expect(ids(first).count == 2 && first.contains(#"<button id="more" type="button">More results</button>"#), "\(first.prefix(6000))")
        // A price range, in hybrid mode: the range's inputs hold it, the results are within it.
        let range = "%7B%22price%22%3A%7B%22gte%22%3A10%2C%22lte%22%3A20%7D%7D"
        let priced = try Self.render(server, "#/search?q=chaise&mode=hybrid&filter=\(range)", until: #/matching results/#)
        #expect(Set(ids(priced)) == ["l1", "c1", "t1"], "prices 15, 16 and 17: \(priced.prefix(6000))")
        #expect(priced.contains(#"value="10""#) && priced.contains(#"value="20""#) && priced.contains(#"<option value="hybrid" selected"#) || priced.contains("(hybrid)"),
                "\(priced.prefix(6000))")
        #expect(ids(priced).first == "c1", "hybrid: the chair first")
    }

    @Test("an empty store says how to index; a server with an API key asks for it",
          ProcessRunner.needs(chromium != nil, "no Chromium on this machine: apt-get install chromium (.ci/run does)"))
    func emptyAndKey() async throws {
        let folder = try ServeProcessTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = try ServeProcessTests.Server(arguments: ["--db", folder.appendingPathComponent("e.sqlite").path, "--workers", "0"])
        let dom = try Self.render(empty, "", until: #/No products yet/#)
        empty.stop()
        #expect(dom.contains("No products yet: index some with"), "\(dom.prefix(4000))")
        let locked = try ServeProcessTests.Server(arguments: ["--db", folder.appendingPathComponent("k.sqlite").path, "--workers", "0",
                                                              "--api-key", "s3cret"])
        defer { locked.stop() }
        let prompt = try Self.render(locked, "", until: #/<form id="key-form" class="key-form">/#)
        #expect(prompt.contains("<form id=\"key-form\" class=\"key-form\">"), "the key prompt is shown: \(prompt.prefix(4000))")
    }
}
