import Foundation

/// A declared parameter of a stage, with its type and default.
public struct ParamSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case int
        case number
        case bool
        case string
        case choice([String])

        var description: String {
            switch self {
            case .int: return "an integer"
            case .number: return "a number"
            case .bool: return "true or false"
            case .string: return "a string"
            case let .choice(options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
            }
        }
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: JSON
    public let help: String
    /// Turns a value that names a choice left to the machine (such as `"auto"`) into the concrete
    /// value this machine takes, before the stage's key is computed: the key, the lock file and
    /// `pipeline status` then say what actually ran, and a workspace moved to a machine that
    /// resolves differently sees the stage as stale instead of reusing a different computation.
    public let machineChoice: (@Sendable (JSON) -> JSON)?

    public init(_ name: String, _ kind: Kind, default defaultValue: JSON, help: String = "",
                machineChoice: (@Sendable (JSON) -> JSON)? = nil) {
        self.name = name
        self.kind = kind
        self.help = help
        self.machineChoice = machineChoice
        // Canonicalise the default like any other value, so `1` and `1.0` give the same key.
        self.defaultValue = (try? ParamSpec.coerce(defaultValue, kind)) ?? defaultValue
    }

    /// The value this machine runs with: `machineChoice` applied, if there is one.
    public func resolvedOnThisMachine(_ value: JSON) -> JSON { machineChoice?(value) ?? value }

    /// The value in canonical form, or nil when it has the wrong type.
    public func coerce(_ value: JSON) -> JSON? { try? ParamSpec.coerce(value, kind) }

    private struct WrongType: Error {}

    private static func coerce(_ value: JSON, _ kind: Kind) throws -> JSON {
        switch (kind, value) {
        case (.int, .int): return value
        case (.number, .int(let i)): return .double(Double(i))
        case (.number, .double): return value
        case (.bool, .bool): return value
        case (.string, .string): return value
        case let (.choice(options), .string(s)) where options.contains(s): return value
        default: throw WrongType()
        }
    }

    /// Parses a `--set` value written on the command line.
    public func parse(commandLine text: String) -> JSON? {
        switch kind {
        case .int: return Int64(text).map(JSON.int)
        case .number: return Double(text).flatMap { $0.isFinite ? JSON.double($0) : nil }
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: return nil
            }
        case .string: return .string(text)
        case let .choice(options): return options.contains(text) ? .string(text) : nil
        }
    }

    /// "must be an integer, got a string (\"x\")".
    func typeError(_ value: JSON) -> String {
        if case .choice = kind, case .string = value {
            return "must be \(kind.description), got \(value.canonical)"
        }
        return "must be \(kind.description), got \(value.kindName) (\(value.canonical))"
    }
}

/// The resolved params of one stage, with typed accessors. Every declared param is present.
public struct StageParams: Sendable {
    public let values: [String: JSON]

    public init(_ values: [String: JSON]) { self.values = values }

    public var json: JSON { .object(values.map { ($0.key, $0.value) }) }

    public func int(_ name: String) -> Int {
        guard let v = values[name]?.intValue else { preconditionFailure("param \(name) is not an integer") }
        return Int(v)
    }
    public func double(_ name: String) -> Double {
        guard let v = values[name]?.doubleValue else { preconditionFailure("param \(name) is not a number") }
        return v
    }
    public func bool(_ name: String) -> Bool {
        guard let v = values[name]?.boolValue else { preconditionFailure("param \(name) is not a boolean") }
        return v
    }
    public func string(_ name: String) -> String {
        guard let v = values[name]?.stringValue else { preconditionFailure("param \(name) is not a string") }
        return v
    }
}
