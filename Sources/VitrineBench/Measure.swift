import Foundation

/// Timing helpers: every figure is the median of several runs.
enum Measure {
    /// Runs `body` `runs` times and returns the median duration in seconds.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let started = clock.now
            try body()
            let elapsed = clock.now - started
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// The repository's fixtures folder, found from the working directory upwards.
    static func fixturesFolder() -> URL? {
        var url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let candidate = url.appendingPathComponent("fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("bench").path) { return candidate }
            if url.path == "/" { return nil }
            url.deleteLastPathComponent()
        }
    }

    static func format(_ value: Double, _ digits: Int = 1) -> String {
        String(format: "%.\(digits)f", value)
    }
}
