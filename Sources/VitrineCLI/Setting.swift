import ArgumentParser
import Foundation

/// One setting from the flag, else the environment variable, else the default:
/// the order every `vitrine` command reads its configuration in. A variable
/// that is set but cannot be read is an error naming it, never silently ignored.
enum Setting {
    static func value<T: LosslessStringConvertible>(_ flag: T?, _ variable: String, _ fallback: T) throws -> T {
        if let flag { return flag }
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return fallback }
        guard let value = T(text) else { throw ValidationError("$\(variable) is \"\(text)\", which is not a valid value") }
        return value
    }
}
