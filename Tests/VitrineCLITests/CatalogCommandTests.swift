import Foundation
import GRDB
import Testing
import VitrineTestSupport

/// The catalogue commands as real processes on a real SQLite file.
@Suite("vitrine index-catalog, search, duplicates and friends", .onOwnThreads)
struct CatalogCommandTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("index the sample catalogue, search it, list duplicates, get, delete, stats, export")
    func endToEnd() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("v.sqlite").path
        let failures = folder.appendingPathComponent("failures.jsonl").path
        func run(_ arguments: [String]) throws -> ProcessRunner.Outcome {
            try ProcessRunner.run(arguments + ["--db", db], directory: Repository.root)
        }
        let first = try run(["index-catalog", "fixtures/catalog/catalog.csv", "--json", "--failures", failures])
        #expect(first.exitedNormally && first.status == 1, "failed rows make the exit status 1")
        let summary = try Self.json(try #require(first.lines.last))
        #expect(summary["indexed"] as? Int == 25 && summary["unchanged"] as? Int == 0 && summary["failed"] as? Int == 6)
        #expect(FileManager.default.fileExists(atPath: db + "-index/fused.vindex"), "index-catalog leaves the search index's snapshot")
        #expect(summary["seconds"] is Double)
        let logged = try String(contentsOfFile: failures, encoding: .utf8).split(separator: "\n")
        #expect(logged.count == 6)
        #expect(logged.contains { $0.contains("\"row\":28") && $0.contains("\"product_id\":\"b01\"") && $0.contains("image_missing") })

        // A failures path that is not a regular file is never removed or replaced.
        let notAFile = folder.appendingPathComponent("a-folder")
        try FileManager.default.createDirectory(at: notAFile, withIntermediateDirectories: true)
        let odd = try run(["index-catalog", "fixtures/catalog/catalog.csv", "--json", "--failures", notAFile.path])
        #expect(odd.exitedNormally && odd.status == 1 && odd.stderr.contains("cannot write the failures file"))
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: notAFile.path, isDirectory: &isFolder) && isFolder.boolValue)

        let again = try run(["index-catalog", "fixtures/catalog/catalog.csv", "--json", "--failures", failures])
        let second = try Self.json(try #require(again.lines.last))
        #expect(second["indexed"] as? Int == 0 && second["unchanged"] as? Int == 25)

        let search = try run(["search", "lampe de bureau", "--json", "--top-k", "3"])
        #expect(search.exitedNormally && search.status == 0)
        let results = try #require(try Self.json(search.stdout)["results"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect(results.first?["product_id"] as? String == "p07")
        #expect(results.first?["name"] as? String == "Lampe de bureau")
        #expect(results.first?["score"] is Double)

        let like = try run(["search", "--like", "p11", "--mode", "image", "--json", "--top-k", "1"])
        #expect(like.stdout.contains("\"product_id\":\"p11-mini\""))
        let unknown = try run(["search", "--like", "nope", "--json"])
        #expect(unknown.status == 1 && unknown.stdout.hasPrefix(#"{"error":{"code":"not_found","message":"#), "\(unknown.stdout)")
        let byImage = try run(["search", "--image", "fixtures/products/variants/p16--flip.jpg", "--mode", "image", "--top-k", "1", "--json"])
        #expect(byImage.stdout.contains("\"product_id\":\"p16\""))

        func duplicateSets(_ arguments: [String]) throws -> Set<[String]> {
            let duplicates = try run(["duplicates", "--json"] + arguments)
            #expect(duplicates.exitedNormally && duplicates.status == 0)
            let groups = try #require(try Self.json(duplicates.stdout)["groups"] as? [[String: Any]])
            return Set(groups.map { (($0["products"] as? [[String: Any]]) ?? []).compactMap { $0["product_id"] as? String }.sorted() })
        }
        // The default (0.95) finds the re-encoded, resized and padded copies; the zoomed one scores 0.90.
        #expect(try duplicateSets([]) == Set([["p04", "p04-bis"], ["p07", "p07-carre"], ["p11", "p11-mini"]]))
        #expect(try duplicateSets(["--threshold", "0.88"]) == Set([["p02", "p02-zoom"], ["p04", "p04-bis"], ["p07", "p07-carre"], ["p11", "p11-mini"]]))
        // Only pairs whose both products match the filter (the copies without metadata have no category).
        #expect(try duplicateSets(["--filter", #"{"not": {"category": "maroquinerie"}}"#]) == Set([["p07", "p07-carre"], ["p11", "p11-mini"]]))
        #expect(try duplicateSets(["--filter", #"{"category": {"exists": true}}"#]).isEmpty)

        // Filters, facets, pages by cursor and the hybrid mode, as the API has them.
        let dresses = try run(["search", "robe", "--filter", #"{"category": "vetements"}"#, "--facet", "category", "--limit", "2", "--json"])
        let page = try Self.json(dresses.stdout)
        #expect((page["results"] as? [Any])?.count == 2 && page["total"] as? Int == 3, "\(dresses.stdout) \(dresses.stderr)")
        #expect(((page["facets"] as? [String: Any])?["category"] as? [[String: Any]])?.first?["count"] as? Int == 3)
        let next = try #require(page["next"] as? String)
        let rest = try Self.json(try run(["search", "robe", "--filter", #"{"category": "vetements"}"#, "--limit", "2", "--cursor", next, "--json"]).stdout)
        #expect((rest["results"] as? [Any])?.count == 1 && rest["next"] is NSNull)
        let sku = try run(["search", "E27", "--mode", "hybrid", "--limit", "1", "--json"])
        #expect(sku.stdout.contains(#""product_id":"p07""#), "\(sku.stdout)")
        let readable = try run(["search", "robe", "--filter", #"{"category": "vetements"}"#, "--facet", "category"])
        #expect(readable.stdout.contains("3 products match the filter") && readable.stdout.contains("category: \"vetements\" (3)"), "\(readable.stdout)")
        let malformed = try run(["search", "robe", "--filter", #"{"price": {"gte": "cheap"}}"#])
        #expect(malformed.status == 1 && malformed.stderr.contains("filter.price.gte must be a number"), "\(malformed.stderr)")
        let badDuplicates = try run(["duplicates", "--filter", "[1]"])
        #expect(badDuplicates.status == 1 && badDuplicates.stderr.contains("filter must be an object"), "\(badDuplicates.stderr)")

        let get = try run(["get", "t04"])
        let product = try Self.json(get.stdout)
        #expect((product["description"] as? String)?.contains("\n") == true, "quoted line breaks are kept")
        #expect(try run(["delete", "t04"]).status == 0)
        let missing = try run(["get", "t04"])
        #expect(missing.status == 1 && missing.stderr.contains("no product t04"))

        let stats = try Self.json(try run(["stats", "--json"]).stdout)
        #expect(stats["products"] as? Int == 24 && stats["with_image"] as? Int == 20)

        let npy = folder.appendingPathComponent("v.npy").path
        #expect(try run(["export", "--format", "npy", "--output", npy]).status == 0)
        let matrix = try Data(contentsOf: URL(fileURLWithPath: npy))
        #expect(matrix.count == 128 + 24 * 512 * 4)
        #expect(String(decoding: matrix[10..<128], as: UTF8.self).contains("'shape': (24, 512)"))
        #expect(try String(contentsOfFile: npy + ".ids.txt", encoding: .utf8).split(separator: "\n").count == 24)
        let jsonl = folder.appendingPathComponent("v.jsonl").path
        #expect(try run(["export", "--mode", "image", "--output", jsonl]).status == 0)
        #expect(try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n").count == 20)
    }

    @Test("index-catalog's field limits come from the flag, else the environment; a row over a limit is reported by row and field")
    func fieldLimits() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (arguments, environment) in [(["--max-name-bytes", "12"], [String: String]()), ([], ["VITRINE_MAX_NAME_BYTES": "12"])] {
            let db = folder.appendingPathComponent("\(UUID().uuidString).sqlite").path
            let failures = folder.appendingPathComponent("\(UUID().uuidString).jsonl").path
            let outcome = try ProcessRunner.run(["index-catalog", "fixtures/catalog/catalog.csv", "--json", "--db", db, "--failures", failures] + arguments,
                                                directory: Repository.root, environment: environment)
            #expect(outcome.exitedNormally && outcome.status == 1)
            let logged = try String(contentsOfFile: failures, encoding: .utf8).split(separator: "\n")
            let tooLong = logged.filter { $0.contains("field_too_large") }
            #expect(tooLong.count > 5 && tooLong.allSatisfy { $0.contains("\\\"name\\\"") && $0.contains("\"row\":") }, "\(logged)")
        }
        let bad = try ProcessRunner.run(["index-catalog", "fixtures/catalog/catalog.csv", "--db", folder.appendingPathComponent("x.sqlite").path],
                                        directory: Repository.root, environment: ["VITRINE_MAX_NAME_BYTES": "lots"])
        #expect(bad.exitedNormally && bad.status != 0 && bad.stderr.contains("VITRINE_MAX_NAME_BYTES"), "\(bad.stderr)")
    }

    @Test("the database: --db, else $VITRINE_DB, else ./vitrine.sqlite")
    func databaseLocation() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fromEnvironment = folder.appendingPathComponent("env.sqlite").path
        let catalog = Repository.fixtures.appendingPathComponent("catalog/catalog.csv").path
        let failures = ["--failures", folder.appendingPathComponent("f.jsonl").path]
        _ = try ProcessRunner.run(["index-catalog", catalog] + failures, directory: folder, environment: ["VITRINE_DB": fromEnvironment])
        #expect(FileManager.default.fileExists(atPath: fromEnvironment))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("vitrine.sqlite").path))
        let stats = try ProcessRunner.run(["stats", "--json"], directory: folder, environment: ["VITRINE_DB": fromEnvironment])
        #expect(try Self.json(stats.stdout)["products"] as? Int == 25)
        let flag = folder.appendingPathComponent("flag.sqlite").path
        _ = try ProcessRunner.run(["stats", "--db", flag], directory: folder, environment: ["VITRINE_DB": fromEnvironment])
        #expect(FileManager.default.fileExists(atPath: flag), "--db wins over the environment")
        _ = try ProcessRunner.run(["stats"], directory: folder, environment: ["VITRINE_DB": ""])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("vitrine.sqlite").path))
        // A URL is never taken for a file name: PostgreSQL's is used (here nothing listens: a clear
        // error without the password), another kind refused; so is a folder; and a database of a newer schema.
        for (url, message) in [("postgres://vitrine:secret@127.0.0.1:1/catalogue", "cannot be reached"),
                               ("postgresql://vitrine@127.0.0.1:1", "names no database"),
                               ("mysql://h/d", "not a database Vitrine knows")] {
            let refused = try ProcessRunner.run(["stats", "--db", url], directory: folder)
            #expect(refused.status == 1 && refused.stderr.contains(message) && !refused.stderr.contains("secret"), "\(refused.stderr)")
            let byEnvironment = try ProcessRunner.run(["stats"], directory: folder, environment: ["VITRINE_DB": url])
            #expect(byEnvironment.status == 1 && byEnvironment.stderr.contains(message))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("postgres:").path), "no folder named after the URL")
        let asFolder = try ProcessRunner.run(["stats", "--db", folder.path], directory: folder)
        #expect(asFolder.status == 1 && asFolder.stderr.contains("is a folder"), "\(asFolder.stderr)")
        try DatabaseQueue(path: flag).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        let newer = try ProcessRunner.run(["stats", "--db", flag], directory: folder)
        #expect(newer.status == 1 && newer.stderr.contains("newer Vitrine") && newer.stderr.contains("v99: from the future"),
                "\(newer.stderr)")
    }

    @Test("a run killed mid-batch loses nothing committed; the next run finishes, each product exactly once")
    func killAndResume() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 400 products over the fixture photos (some text-only), written in small batches by one worker.
        let photos = try FileManager.default.contentsOfDirectory(
            atPath: Repository.fixtures.appendingPathComponent("products/variants").path).sorted()
        var csv = "product_id,name,description,image\n"
        for index in 0..<400 {
            let image = index % 5 == 4 ? "" : photos[index % photos.count]
            csv += "k\(index),Produit \(index),\"Description, numéro \(index)\",\(image)\n"
        }
        let catalog = folder.appendingPathComponent("big.csv")
        try Data(csv.utf8).write(to: catalog)
        let db = folder.appendingPathComponent("k.sqlite").path
        let arguments = ["index-catalog", catalog.path, "--images-root", Repository.fixtures.appendingPathComponent("products/variants").path,
                         "--db", db, "--jobs", "1", "--batch-size", "4", "--json",
                         "--failures", folder.appendingPathComponent("f.jsonl").path]

        let process = Process()
        process.executableURL = ProcessRunner.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) until some batches are committed, then kill it without warning (a fully
        // loaded CI run once committed none in 30 s).
        let deadline = Date().addingTimeInterval(120)
        var committed = 0
        while Date() < deadline && process.isRunning {
            committed = Self.count(db)
            if committed >= 20 { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let afterKill = Self.count(db)
        #expect(afterKill > 0 && afterKill < 400, "killed mid-way: \(afterKill) of 400 committed")

        let resumed = try ProcessRunner.run(arguments, timeout: 120)
        #expect(resumed.exitedNormally && resumed.status == 0, "\(resumed.stderr)")
        let summary = try Self.json(try #require(resumed.lines.last))
        let indexed = summary["indexed"] as? Int ?? -1, unchanged = summary["unchanged"] as? Int ?? -1
        #expect(indexed + unchanged == 400)
        #expect(unchanged >= afterKill, "everything committed before the kill was skipped")
        #expect(Self.count(db) == 400, "each product exactly once (product_id is unique)")
    }

    @Test("Ctrl-C stops after the current batch, reports, exits 130; the next run resumes")
    func interrupt() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var csv = "product_id,name,image\n"
        for index in 0..<300 { csv += "s\(index),Produit \(index),p0\(index % 9 + 1).jpg\n" }
        let catalog = folder.appendingPathComponent("c.csv")
        try Data(csv.utf8).write(to: catalog)
        let db = folder.appendingPathComponent("s.sqlite").path
        let arguments = ["index-catalog", catalog.path, "--images-root", Repository.fixtures.appendingPathComponent("products/images").path,
                         "--db", db, "--jobs", "1", "--batch-size", "3", "--json", "--failures", folder.appendingPathComponent("f.jsonl").path]
        let process = Process()
        process.executableURL = ProcessRunner.binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning && Self.count(db) < 9 { usleep(20_000) }
        process.interrupt()
        let stopDeadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stopDeadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        let summary = try Self.json(String(text.split(separator: "\n").last ?? ""))
        #expect(summary["interrupted"] as? Bool == true)
        let done = summary["indexed"] as? Int ?? 0
        #expect(done > 0 && done < 300 && Self.count(db) == done)
        let resumed = try ProcessRunner.run(arguments, timeout: 120)
        let rest = try Self.json(try #require(resumed.lines.last))
        #expect(rest["unchanged"] as? Int == done && (rest["indexed"] as? Int ?? 0) + done == 300)
    }

    /// Stored products, read through `vitrine stats` (another process, as a user would).
    static func count(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db),
              let outcome = try? ProcessRunner.run(["stats", "--json", "--db", db], timeout: 30),
              let object = try? json(outcome.stdout) else { return 0 }
        return object["products"] as? Int ?? 0
    }
}
