/// A chaos run that could not be carried out (not a finding about Vitrine).
public struct ChaosError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}
