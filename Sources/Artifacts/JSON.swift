import Foundation

/// A JSON value that keeps integers and floating-point numbers apart and remembers member order,
/// so pipeline.json can be echoed faithfully and keys can be serialised canonically.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            // Member order is presentation only; equality ignores it.
            return x.count == y.count && x.sorted(by: { utf8Less($0.0, $1.0) }).elementsEqual(
                y.sorted(by: { utf8Less($0.0, $1.0) }), by: { $0.0 == $1.0 && $0.1 == $1.1 })
        default: return false
        }
    }

    /// Member lookup for objects; nil for other kinds or absent keys.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    public var objectMembers: [(String, JSON)]? {
        if case let .object(m) = self { return m }
        return nil
    }
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }
    public var intValue: Int64? {
        switch self {
        case let .int(i): return i
        case let .double(d) where d == d.rounded() && abs(d) < 9e15: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }
    public var arrayValue: [JSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Returns an object with `key` set to `value` (replacing, or appended at the end).
    public func setting(_ key: String, to value: JSON) -> JSON {
        var members = objectMembers ?? []
        if let i = members.firstIndex(where: { $0.0 == key }) {
            members[i].1 = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }
}

/// Byte-wise (UTF-8) ordering, the one order that every platform and language agrees on.
public func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

// MARK: - Serialisation

extension JSON {
    /// Canonical form: keys sorted byte-wise, no insignificant whitespace, shortest round-trip numbers.
    /// Two equal values always give the same bytes; stage keys are hashes of this.
    public var canonical: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Human-readable form with sorted keys and two-space indentation, ending in a newline.
    /// Deterministic, so lock files diff cleanly.
    public var pretty: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        out.append("\n")
        return out
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out.append("null")
        case let .bool(b): out.append(b ? "true" : "false")
        case let .int(i): out.append(String(i))
        case let .double(d): out.append(JSON.format(d))
        case let .string(s): JSON.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[")
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(",") }
                JSON.newline(&out, indent, level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out.append("]")
        case let .object(members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{")
            // Later duplicates win, as in the parser's lookup.
            var unique: [String: JSON] = [:]
            for (k, v) in members { unique[k] = v }
            for (n, key) in unique.keys.sorted(by: utf8Less).enumerated() {
                if n > 0 { out.append(",") }
                JSON.newline(&out, indent, level + 1)
                JSON.writeString(key, to: &out)
                out.append(indent == nil ? ":" : ": ")
                unique[key]!.write(to: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out.append("}")
        }
    }

    private static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out.append("\n")
        for _ in 0..<level { out.append(indent) }
    }

    /// Shortest representation that parses back to the same Double (Swift's algorithm is
    /// platform-independent); integral values keep a ".0" so they stay floating-point.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return "0.0" }   // -0.0 == 0.0, so they must print alike
        // Swift writes 1e-05; drop the exponent's zero padding (1e-5), as JSON allows.
        let text = "\(d)"
        guard let e = text.firstIndex(of: "e") else { return text }
        var exponent = text[text.index(after: e)...]
        let sign = exponent.first == "-" ? "-" : ""
        if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
        let digits = exponent.drop(while: { $0 == "0" })
        return text[..<e] + "e" + sign + (digits.isEmpty ? "0" : digits)
    }

    private static func writeString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                out.append(String(format: "\\u%04x", scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
