import Foundation
import VitrineProbe

/// What every chaos run needs: the `vitrine` binary under test, its model, a
/// scratch folder and the images its uploads carry.
public struct ChaosSetup: Sendable {
    /// The `vitrine` executable.
    public var binary: URL
    /// The model manifest the processes load.
    public var model: URL
    /// A folder for databases, catalogues and logs (the caller removes it).
    public var folder: URL
    /// Upload material (JPEG or PNG bytes), used round-robin.
    public var images: [Data]
    /// The seed of every random choice (kill times, victims), so a failing run can be replayed.
    public var seed: UInt64

    /// A setup.
    public init(binary: URL, model: URL, folder: URL, images: [Data], seed: UInt64 = 11) {
        self.binary = binary
        self.model = model
        self.folder = folder
        self.images = images
        self.seed = seed
    }

    /// Waits until `condition` holds, checking every 10 ms, at most `timeout` seconds; false on timeout.
    static func waitFor(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    /// The median of `values` (0 when empty).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

