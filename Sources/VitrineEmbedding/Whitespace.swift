/// White space trimming on Unicode scalars. Foundation's `trimmingCharacters(in:)`
/// goes through NSString and cost ~4 % of a synchronous index request.
extension StringProtocol where SubSequence == Substring {
    /// The text without leading and trailing white space or line breaks
    /// (Unicode's White_Space property plus U+200B: Foundation's `.whitespacesAndNewlines`).
    public func trimmingWhitespace() -> String {
        let text: Substring = self[...]
        let utf8 = text.utf8
        // Fast path: printable ASCII at both ends means nothing to trim.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return String(text)
        }
        let scalars = text.unicodeScalars
        // Foundation also counts the zero-width space as white space.
        let kept: (Unicode.Scalar) -> Bool = { !$0.properties.isWhitespace && $0.value != 0x200B }
        guard let start = scalars.firstIndex(where: kept), let end = scalars.lastIndex(where: kept) else { return "" }
        return String(scalars[start...end])
    }
}
