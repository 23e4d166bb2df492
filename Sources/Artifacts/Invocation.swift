import Foundation

/// A stage applied to particular inputs: everything its output may depend on. Its key is the
/// SHA-256 of the canonical JSON of these fields, and nothing else.
public struct Invocation: Equatable, Sendable {
    public struct Input: Equatable, Sendable {
        public let source: InputSource
        public let sha256: String
    }

    public let stage: String
    public let uses: String
    public let version: Int
    public let params: JSON
    public let inputs: [String: Input]
    public let seed: UInt64?

    public init(stage: String, uses: String, version: Int, params: JSON, inputs: [String: Input], seed: UInt64?) {
        self.stage = stage
        self.uses = uses
        self.version = version
        self.params = params
        self.inputs = inputs
        self.seed = seed
    }

    var keyJSON: JSON {
        var members: [(String, JSON)] = [
            ("stage", .string(stage)),
            ("uses", .string(uses)),
            ("version", .int(Int64(version))),
            ("params", params),
            ("inputs", .object(inputs.map { ($0.key, .string($0.value.sha256)) })),
        ]
        if let seed { members.append(("seed", .string(String(seed)))) }
        return .object(members)
    }

    public var key: String { SHA256Hasher.hex(keyJSON.canonical) }

    /// The record written to lock files and run records (with the output and its summary).
    func recordJSON(output: String, summary: JSON) -> JSON {
        var members: [(String, JSON)] = [
            ("key", .string(key)),
            ("uses", .string(uses)),
            ("version", .int(Int64(version))),
            ("params", params),
            ("inputs", .object(inputs.map { name, input in
                var m = input.source.json.objectMembers!
                m.append(("sha256", .string(input.sha256)))
                return (name, .object(m))
            })),
            ("output", .string(output)),
            ("summary", summary),
        ]
        if let seed { members.append(("seed", .string(String(seed)))) }
        return .object(members)
    }

    /// Reads the fields written by `recordJSON`.
    init?(stage: String, record: JSON) {
        guard let uses = record["uses"]?.stringValue, let version = record["version"]?.intValue,
              let params = record["params"], params.objectMembers != nil,
              let inputMembers = record["inputs"]?.objectMembers else { return nil }
        var inputs: [String: Input] = [:]
        for (name, value) in inputMembers {
            guard let sha = value["sha256"]?.stringValue, isSHA256Hex(sha) else { return nil }
            if let s = value["stage"]?.stringValue {
                inputs[name] = Input(source: .stage(s), sha256: sha)
            } else if let f = value["file"]?.stringValue {
                inputs[name] = Input(source: .file(path: f, sha256: nil, fetch: nil), sha256: sha)
            } else {
                return nil
            }
        }
        var seed: UInt64?
        if let s = record["seed"] {
            guard let v = s.stringValue.flatMap({ UInt64($0) }) else { return nil }
            seed = v
        }
        self.init(stage: stage, uses: uses, version: Int(version), params: params, inputs: inputs, seed: seed)
    }

    /// Why `self` (the current invocation) differs from `old` (the locked one), one reason per
    /// change, e.g. `ppo.lr 1e-05 -> 0.0001`.
    public func differences(from old: Invocation) -> [String] {
        var reasons: [String] = []
        if uses != old.uses { reasons.append("\(stage) now uses stage '\(uses)' (was '\(old.uses)')") }
        if version != old.version { reasons.append("stage version \(old.version) -> \(version)") }
        let newParams = Dictionary(params.objectMembers!, uniquingKeysWith: { $1 })
        let oldParams = Dictionary(old.params.objectMembers!, uniquingKeysWith: { $1 })
        for name in Set(newParams.keys).union(oldParams.keys).sorted(by: utf8Less) where newParams[name] != oldParams[name] {
            let before = oldParams[name]?.canonical ?? "(unset)"
            let after = newParams[name]?.canonical ?? "(unset)"
            reasons.append("\(stage).\(name) \(before) -> \(after)")
        }
        for name in Set(inputs.keys).union(old.inputs.keys).sorted(by: utf8Less) {
            let now = inputs[name], then = old.inputs[name]
            guard now?.sha256 != then?.sha256 else { continue }
            switch now?.source ?? then!.source {
            case let .file(path, _, _):
                reasons.append("input \(name) (\(path)) changed: \(then.map { String($0.sha256.prefix(12)) } ?? "none") -> \(now.map { String($0.sha256.prefix(12)) } ?? "none")")
            case let .stage(s):
                reasons.append("input \(name) (output of \(s)) changed")
            }
        }
        if seed != old.seed { reasons.append("seed changed") }
        return reasons
    }
}
