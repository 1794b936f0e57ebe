import ArgumentParser

/// `vitrine-bench`: release-built benchmarks that print their figures.
/// Run with `swift run -c release vitrine-bench <suite>`; BENCHMARKS.md records the results.
@main
struct BenchMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitrine-bench",
        abstract: "Vitrine's benchmarks (build with -c release).",
        subcommands: [DecodeBenchmark.self, EmbedBenchmark.self, IndexBenchmark.self, SearchBenchmark.self, DuplicatesBenchmark.self,
                      HTTPBenchmark.self, ThumbnailBenchmark.self, FuzzBenchmark.self, HostileBenchmark.self,
                      ChaosBenchmark.self, LiveBenchmark.self, PeerBenchmark.self, ColourBenchmark.self, CopiesBenchmark.self,
                      FilterBenchmark.self, StagesBenchmark.self]
    )
}
