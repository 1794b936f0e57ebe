import Foundation

/// Unicode normalisation for text features: NFKC-compatible folding, case
/// folding and accent folding, so "Très BON produit" and "tres bon produit"
/// give the same tokens; then tokenisation into words of letters and digits.
public enum TextNormalizer {
    /// Tokens of `text`: compatibility-decomposed (NFKD, which folds the same
    /// compatibility forms as NFKC), combining marks removed, lower-cased, a few
    /// ligatures expanded (ß→ss, œ→oe, æ→ae), split on anything that is not a
    /// letter or a digit. Each token is its Unicode scalar values.
    public static func tokens(_ text: String) -> [[UInt32]] {
        var tokens: [[UInt32]] = []
        var current: [UInt32] = []
        current.reserveCapacity(16)
        func flush() {
            if !current.isEmpty {
                tokens.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII fast path: no normalisation needed.
            for byte in text.utf8 {
                switch byte {
                case 0x41...0x5A: current.append(UInt32(byte) + 0x20)
                case 0x61...0x7A, 0x30...0x39: current.append(UInt32(byte))
                default: flush()
                }
            }
            flush()
            return tokens
        }
        for scalar in text.decomposedStringWithCompatibilityMapping.unicodeScalars {
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .enclosingMark:
                continue // accents fold away; the letter they sat on was already kept
            case .spacingMark:
                current.append(scalar.value) // vowel signs of Indic scripts belong to their word
                continue
            default:
                break
            }
            if properties.isAlphabetic || properties.numericType != nil {
                switch scalar.value {
                case 0xDF: current += [0x73, 0x73]          // ß → ss
                case 0x153, 0x152: current += [0x6F, 0x65]  // œ → oe
                case 0xE6, 0xC6: current += [0x61, 0x65]    // æ → ae
                case 0x41...0x5A: current.append(scalar.value + 0x20)
                case 0x61...0x7A, 0x30...0x39: current.append(scalar.value)
                default:
                    for folded in properties.lowercaseMapping.unicodeScalars { current.append(folded.value) }
                }
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// The normalised text: its tokens joined by single spaces.
    public static func normalized(_ text: String) -> String {
        tokens(text).map { token in
            String(String.UnicodeScalarView(token.compactMap(Unicode.Scalar.init)))
        }.joined(separator: " ")
    }
}
