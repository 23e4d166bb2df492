import Foundation

/// A token as its UTF-8 bytes. Bytes, not `String`: Swift compares strings by canonical
/// equivalence ("é" == "e\u{301}"), Python does not, and the vocabulary must match Python's.
public struct Token: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { bytes = Array(text.utf8) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Byte-wise order: the vocabulary's id order.
    public static func < (a: Token, b: Token) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// The curriculum's tokenizer: the pieces of Python's `re.split(r"\b", text)` on a `str`, without
/// the empty strings split leaves at the ends. That is, maximal runs of word characters
/// (Unicode letters and numbers, and "_", as Python's `\w`) and maximal runs of everything else.
public enum WordBoundaryTokenizer {
    /// Python's `\w` for `str`: `ch.isalnum() or ch == "_"`.
    @inline(__always) public static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 48 && v <= 57) || (v >= 65 && v <= 90) || (v >= 97 && v <= 122) || v == 95
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return scalar.properties.numericType != nil
        }
    }

    public static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current: [UInt8] = []
        var currentIsWord = false
        for scalar in text.unicodeScalars {
            let word = isWord(scalar)
            if !current.isEmpty && word != currentIsWord {
                tokens.append(Token(current))
                current.removeAll(keepingCapacity: true)
            }
            currentIsWord = word
            current.append(contentsOf: UTF8.encode(scalar)!)
        }
        if !current.isEmpty { tokens.append(Token(current)) }
        return tokens
    }
}

/// The normalisation applied to every text before it is tokenised (param `normalize`): accents
/// stripped (renownèd -> renowned), Unicode NFC, typographic quotes and apostrophes and dashes
/// to ASCII. Other editions (the Gutenberg complete works use ’) then meet the same vocabulary.
public enum TextNormalizer {
    static let replacements: [Unicode.Scalar: String] = [
        "\u{2018}": "'", "\u{2019}": "'", "\u{201A}": "'", "\u{201B}": "'", "\u{2032}": "'",
        "\u{201C}": "\"", "\u{201D}": "\"", "\u{201E}": "\"", "\u{201F}": "\"", "\u{2033}": "\"",
        "\u{00AB}": "\"", "\u{00BB}": "\"",
        "\u{2010}": "-", "\u{2011}": "-", "\u{2012}": "-", "\u{2013}": "-", "\u{2014}": "--", "\u{2015}": "--",
        "\u{2212}": "-",
    ]

    public static func normalize(_ text: String) -> String {
        // Decompose, drop combining marks, recompose: accents go, everything else is NFC.
        var stripped = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            if let ascii = replacements[scalar] {
                stripped.append(contentsOf: ascii.unicodeScalars)
            } else {
                stripped.append(scalar)
            }
        }
        return String(stripped).precomposedStringWithCanonicalMapping
    }
}
