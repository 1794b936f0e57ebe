import Foundation

/// Unicode normalisation for text features: compatibility folding (as NFKC
/// does), case folding and accent folding, so "Très BON produit" and
/// "tres bon produit" give the same tokens; then tokenisation into words of
/// letters and digits.
public enum TextNormalizer {
    /// Tokens of `text`: each scalar compatibility-decomposed (NFKD), combining
    /// marks dropped, lower-cased, a few ligatures expanded (ß→ss, œ→oe, æ→ae),
    /// split on anything that is not a letter or a digit. Each token is its
    /// Unicode scalar values.
    public static func tokens(_ text: String) -> [[UInt32]] {
        var tokens: [[UInt32]] = []
        var current: [UInt32] = []
        current.reserveCapacity(24)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                // ASCII: letters folded to lower case, digits kept, the rest separates.
                switch value {
                case 0x41...0x5A: current.append(value + 0x20)
                case 0x61...0x7A, 0x30...0x39: current.append(value)
                default:
                    if !current.isEmpty {
                        tokens.append(current)
                        current.removeAll(keepingCapacity: true)
                    }
                }
                continue
            }
            let folding = value < UInt32(latinTable.count) ? latinTable[Int(value)] : fold(scalar)
            switch folding {
            case .separator:
                if !current.isEmpty {
                    tokens.append(current)
                    current.removeAll(keepingCapacity: true)
                }
            case .mark:
                continue // an accent on the previous letter: folded away
            case .letters(let letters):
                for letter in letters {
                    if letter == 0 {
                        // A separator inside a compatibility form ("½" is "1⁄2").
                        if !current.isEmpty {
                            tokens.append(current)
                            current.removeAll(keepingCapacity: true)
                        }
                    } else {
                        current.append(letter)
                    }
                }
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// The normalised text: its tokens joined by single spaces.
    public static func normalized(_ text: String) -> String {
        tokens(text).map { token in
            String(String.UnicodeScalarView(token.compactMap(Unicode.Scalar.init)))
        }.joined(separator: " ")
    }

    /// What one scalar becomes.
    enum Folding {
        /// Ends the current token.
        case separator
        /// A combining mark: dropped.
        case mark
        /// Letters and digits to append; a 0 inside ends a token there.
        case letters([UInt32])
    }

    /// Precomputed foldings for U+0000–U+024F (ASCII, Latin-1, Latin Extended-A and B):
    /// the scripts of most catalogue text, so the common case never calls into Unicode tables.
    static let latinTable: [Folding] = (0..<0x250).map { value in
        Unicode.Scalar(UInt32(value)).map(fold) ?? .separator
    }

    /// Folds one scalar: NFKD, marks dropped, lower-cased, ligatures expanded.
    static func fold(_ scalar: Unicode.Scalar) -> Folding {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return .mark
        case .spacingMark: return .letters([scalar.value]) // vowel signs of Indic scripts belong to their word
        default: break
        }
        var letters: [UInt32] = []
        for part in String(Character(scalar)).decomposedStringWithCompatibilityMapping.unicodeScalars {
            let properties = part.properties
            switch properties.generalCategory {
            case .nonspacingMark, .enclosingMark: continue
            default: break
            }
            guard properties.isAlphabetic || properties.numericType != nil else {
                // A compatibility form can hold a separator ("½" is "1⁄2"): it splits tokens there,
                // and such a form stands apart from its neighbours ("42½" is "42 1 2").
                if letters.first != 0 { letters.insert(0, at: 0) }
                letters.append(0)
                continue
            }
            switch part.value {
            case 0xDF: letters += [0x73, 0x73]          // ß → ss
            case 0x153, 0x152: letters += [0x6F, 0x65]  // œ → oe
            case 0xE6, 0xC6: letters += [0x61, 0x65]    // æ → ae
            default:
                for folded in properties.lowercaseMapping.unicodeScalars { letters.append(folded.value) }
            }
        }
        return letters.isEmpty ? .separator : .letters(letters)
    }
}
