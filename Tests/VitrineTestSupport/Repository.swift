@_exported import VitrineProbe
import Foundation

/// Where the repository and its fixtures are, found from this file's place.
public enum Repository {
    /// The folder holding Package.swift.
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("the repository root was not found above \(#filePath)")
    }()

    /// `fixtures/`.
    public static var fixtures: URL { root.appendingPathComponent("fixtures") }

    /// `fixtures/images/`.
    public static var images: URL { fixtures.appendingPathComponent("images") }
}
