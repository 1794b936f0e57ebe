import ArgumentParser
import Foundation

/// The real photos of fixtures/tools/fetch-real-photos.sh, as the real-photo benchmarks
/// (`peer`, `colours`, `copies`, `embed --photos`) read them: the JPEGs of the folder, sorted by
/// name, optionally only those whose longer side (from manifest.tsv) is at least `minSide`.
enum RealPhotos {
    /// Full paths, sorted by file name.
    static func files(in folder: String, minSide: Int = 0) throws -> [String] {
        let url = URL(fileURLWithPath: folder)
        var names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".jpg") }.sorted() ?? []
        if minSide > 0, let manifest = try? String(contentsOf: url.appendingPathComponent("manifest.tsv"), encoding: .utf8) {
            var large = Set<String>()
            for line in manifest.split(separator: "\n") {
                let fields = line.split(separator: "\t")
                if fields.count >= 4, let w = Int(fields[2]), let h = Int(fields[3]), max(w, h) >= minSide { large.insert(String(fields[0])) }
            }
            names = names.filter(large.contains)
        }
        guard names.count >= 100 else {
            throw ValidationError("\(names.count) photos in \(folder): run `bash fixtures/tools/fetch-real-photos.sh \(folder)` first")
        }
        return names.map { url.appendingPathComponent($0).path }
    }
}
