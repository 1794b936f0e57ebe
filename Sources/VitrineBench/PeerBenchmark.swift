import ArgumentParser
import Foundation
import VitrineChaos

/// Vitrine beside the plain Python pipeline (../shared/peers/) on the same real photos, in
/// the same minutes, runs interleaved: the peer's images/s (Pillow + numpy, one process per
/// core), `vitrine embed` (decode + embed, every core) and `vitrine index-catalog` end to end
/// (SQLite, thumbnails and originals kept) on a catalogue of those photos. Prints each run,
/// the medians and the ratios. The photos come from fixtures/tools/fetch-real-photos.sh.
struct PeerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "vitrine embed and index-catalog against the Python peer pipeline on the same real photos; medians and ratios.")

    @Option(help: "The real photos (fixtures/tools/fetch-real-photos.sh); with its manifest.tsv, only those of at least --min-side px.")
    var photos = "/tmp/vitrine-real-photos"

    @Option(help: "Only photos whose longer side is at least this (from manifest.tsv).")
    var minSide = 600

    @Option(help: "The peer's timing script.")
    var peer = "../shared/peers/bench_python_pipeline.py"

    @Option(help: "A Python with Pillow and numpy.")
    var python = "/tmp/vitrine-real-photos/.venv/bin/python3"

    @Option(help: "Each run embeds the photo list this many times over (longer runs, steadier figures).")
    var repeats = 4

    @Option(help: "Interleaved runs; medians are printed.")
    var runs = 5

    func run() throws {
        let files = try RealPhotos.files(in: photos, minSide: minSide)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vitrine").path
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let list = Array(repeating: files, count: max(1, repeats)).flatMap { $0 }
        // The catalogue: one product per photo of the list (each photo `repeats` times, under
        // other ids), a name and a description like a shop's.
        var csv = "product_id,name,description,metadata,image\n"
        for (index, file) in list.enumerated() {
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            csv += "p\(index),\(name),\"Photo \(index) of the real-photo set, \(name).\",\"{\"\"source\"\": \"\"real\"\"}\",\(file)\n"
        }
        let catalog = work.appendingPathComponent("catalog.csv")
        try csv.write(to: catalog, atomically: true, encoding: .utf8)
        // `vitrine embed` reads the list from a file: the argument parser's cost grows with the
        // square of the argument count (75 ms for 1,376 paths, 1.2 s for 5,504).
        let fileList = work.appendingPathComponent("files.txt")
        try (list.joined(separator: "\n") + "\n").write(to: fileList, atomically: true, encoding: .utf8)
        print("peer benchmark: \(files.count) real photos (longer side ≥ \(minSide) px) from \(photos), × \(repeats) per embed run, \(runs) interleaved runs, \(cores) cores")
        print("run   python images/s   vitrine embed images/s   index-catalog products/s (\(list.count) products, SQLite, thumbnails)")
        var peerRates: [Double] = [], embedRates: [Double] = [], indexRates: [Double] = []
        // CPU milliseconds an image (user + system of the process and its children, the peer's
        // pool included): less moved by the machine's other tenants than the rates.
        var peerCPU: [Double] = [], embedCPU: [Double] = [], indexCPU: [Double] = []
        // index-catalog's own `seconds` (its summary): the indexing without the process's start, the
        // database's creation and the snapshot saved after it — timed as the peer times itself
        // (its interpreter's start and imports are outside its figure).
        var indexOwnRates: [Double] = []
        func perImage(_ body: () throws -> Void) rethrows -> Double {
            let before = Self.childrenCPUSeconds()
            try body()
            return (Self.childrenCPUSeconds() - before) / Double(list.count) * 1000
        }
        for run in 1...runs {
            // Odd runs peer first, even runs peer last (ABBA), so a drift of the machine's speed
            // within a run does not favour one side.
            let db = work.appendingPathComponent("run\(run).sqlite").path
            let steps: [() throws -> Void] = [
                { peerCPU.append(try perImage { peerRates.append(try peerRate(list, processes: cores)) }) },
                { embedCPU.append(try perImage {
                    embedRates.append(Double(list.count) / (try timed(binary, ["embed", "--jobs", "\(cores)", "--files-from", fileList.path])))
                }) },
                { indexCPU.append(try perImage {
                    let (wall, own) = try timedIndex(binary, ["index-catalog", catalog.path, "--db", db, "--json", "--failures", db + ".failures.jsonl"])
                    indexRates.append(Double(list.count) / wall)
                    indexOwnRates.append(Double(list.count) / own)
                }) },
            ]
            for step in run % 2 == 1 ? steps : steps.reversed() { try step() }
            print("\(run)   \(Measure.format(peerRates.last!, 0))   \(Measure.format(embedRates.last!, 0))   \(Measure.format(indexRates.last!, 0)) (own \(Measure.format(indexOwnRates.last!, 0)))"
                  + "   (CPU ms an image: \(Measure.format(peerCPU.last!, 2)), \(Measure.format(embedCPU.last!, 2)), \(Measure.format(indexCPU.last!, 2)))")
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let p = median(peerRates), e = median(embedRates), i = median(indexRates)
        print("median: python \(Measure.format(p, 0)) images/s; vitrine embed \(Measure.format(e, 0)) images/s: \(Measure.format(e / p, 2))×; index-catalog \(Measure.format(i, 0)) products/s: \(Measure.format(i / p, 2))×")
        let ratios = zip(embedRates, peerRates).map { $0 / $1 }.sorted(), indexRatios = zip(indexRates, peerRates).map { $0 / $1 }.sorted()
        print("per-run ratios: embed \(ratios.map { Measure.format($0, 2) }.joined(separator: " ")); index-catalog \(indexRatios.map { Measure.format($0, 2) }.joined(separator: " "))")
        let own = median(indexOwnRates), ownRatios = zip(indexOwnRates, peerRates).map { $0 / $1 }.sorted()
        print("index-catalog by its own seconds: \(Measure.format(own, 0)) products/s: \(Measure.format(own / p, 2))×; per run \(ownRatios.map { Measure.format($0, 2) }.joined(separator: " "))")
        let pc = median(peerCPU), ec = median(embedCPU), ic = median(indexCPU)
        print("median CPU an image: python \(Measure.format(pc, 2)) ms; vitrine embed \(Measure.format(ec, 2)) ms (\(Measure.format(pc / ec, 2))× less); index-catalog \(Measure.format(ic, 2)) ms (\(Measure.format(pc / ic, 2))× less)")
    }

    /// Wall seconds of one `index-catalog --json` process, and the `seconds` its summary reports.
    func timedIndex(_ binary: String, _ arguments: [String]) throws -> (wall: Double, own: Double) {
        let started = Date()
        let output = try Command.run([binary] + arguments, timeout: 600)
        let wall = Date().timeIntervalSince(started)
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{\"indexed\"") }),
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let own = object["seconds"] as? Double, own > 0 else {
            throw ValidationError("index-catalog printed no summary: \(output.suffix(500))")
        }
        return (wall, own)
    }

    /// User + system seconds of every child process waited for so far (and of their children).
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The peer's images/s over `files` (one round).
    func peerRate(_ files: [String], processes: Int) throws -> Double {
        let output = try Command.run([python, peer, "--processes", "\(processes)", "--rounds", "1"] + files, timeout: 600)
        guard let line = output.split(separator: "\n").first(where: { $0.hasSuffix("images/s") && !$0.hasPrefix("median") }),
              let rate = Double(line.split(separator: " ")[0]) else {
            throw ValidationError("the peer printed no rate: \(output.suffix(500))")
        }
        return rate
    }

    /// Wall seconds of one successful child process (run with `Command`: under Foundation's
    /// `Process` the peer's process pool waited forever).
    func timed(_ binary: String, _ arguments: [String]) throws -> Double {
        let started = Date()
        try Command.run([binary] + arguments, timeout: 600)
        return Date().timeIntervalSince(started)
    }
}
