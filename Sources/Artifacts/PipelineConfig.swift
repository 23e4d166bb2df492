import Foundation

/// Where an input comes from, as declared in pipeline.json.
public enum InputSource: Equatable, Sendable {
    /// A file outside the store, relative to the workspace. `sha256` pins its content; `fetch`
    /// names the command that downloads it, for the error when it is missing.
    case file(path: String, sha256: String?, fetch: String?)
    /// The artifact of another stage.
    case stage(String)

    var json: JSON {
        switch self {
        case let .file(path, _, _): return .object([("file", .string(path))])
        case let .stage(name): return .object([("stage", .string(name))])
        }
    }
}

/// pipeline.json, parsed and checked for shape, before stage-specific validation.
///
///     {
///       "seed": 1234,
///       "compression": "zstd",
///       "stages": {
///         "tokenize": { "inputs": { "corpus": { "file": "corpus/x.tar.gz", "fetch": "make corpus" } },
///                       "params": { "normalize": true } },
///         "split":    { "inputs": { "tokens": { "stage": "tokenize" } } }
///       },
///       "profiles": { "tiny": { "split": { "context": 16 } } }
///     }
public struct PipelineConfig: Sendable {
    public struct StageEntry: Sendable {
        public let name: String
        /// The stage implementation; defaults to the entry's name.
        public let uses: String
        public let inputs: [(String, InputSource)]
        public let params: [(String, JSON)]
    }

    public let file: String
    public let seed: UInt64
    public let compression: Compression
    public let stages: [StageEntry]
    public let profiles: [String: [(stage: String, params: [(String, JSON)])]]

    public var profileNames: [String] { Set(profiles.keys).union(["default"]).sorted(by: utf8Less) }

    public static func load(_ url: URL) throws -> PipelineConfig {
        let name = url.lastPathComponent
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError.badInput("\(url.path) not found: run in the folder that holds pipeline.json, or pass --workspace DIR")
        }
        let json: JSON
        do {
            json = try JSON.parse(data)
        } catch let e as JSONSyntaxError {
            throw PipelineError.badInput("\(name):\(e.line):\(e.column): \(e.reason)")
        }
        return try PipelineConfig(json, file: name)
    }

    public init(_ json: JSON, file: String = "pipeline.json") throws {
        self.file = file
        func bad(_ path: String, _ message: String) -> PipelineError {
            .badInput("\(file): \(path): \(message)")
        }
        guard let top = json.objectMembers else { throw PipelineError.badInput("\(file): the top level must be an object") }
        for (key, _) in top where !["seed", "compression", "stages", "profiles"].contains(key) {
            throw bad(key, "unknown key\(didYouMean(key, in: ["seed", "compression", "stages", "profiles"])); expected seed, compression, stages, profiles")
        }

        switch json["seed"] {
        case nil: seed = 0
        case let .int(v)? where v >= 0: seed = UInt64(v)
        case let v?: throw bad("seed", "must be a non-negative integer, got \(v.kindName)")
        }

        switch json["compression"] {
        case nil: compression = .zstd
        case let .string(s)? where Compression(rawValue: s) != nil: compression = Compression(rawValue: s)!
        case let v?: throw bad("compression", "must be \"gzip\" or \"zstd\", got \(v.canonical)")
        }

        guard let stageMembers = (json["stages"] ?? .object([])).objectMembers else {
            throw bad("stages", "must be an object of stage name -> { uses, inputs, params }")
        }
        var entries: [StageEntry] = []
        for (name, body) in stageMembers {
            let path = "stages.\(name)"
            guard let members = body.objectMembers else { throw bad(path, "must be an object with inputs and params") }
            for (key, _) in members where !["uses", "inputs", "params"].contains(key) {
                throw bad("\(path).\(key)", "unknown key\(didYouMean(key, in: ["uses", "inputs", "params"])); a stage has uses, inputs and params")
            }
            var uses = name
            if let u = body["uses"] {
                guard let s = u.stringValue else { throw bad("\(path).uses", "must be a stage name (a string)") }
                uses = s
            }
            guard let inputMembers = (body["inputs"] ?? .object([])).objectMembers else {
                throw bad("\(path).inputs", "must be an object of input name -> {\"file\": PATH} or {\"stage\": NAME}")
            }
            var inputs: [(String, InputSource)] = []
            for (inputName, ref) in inputMembers {
                let ipath = "\(path).inputs.\(inputName)"
                if let stage = ref["stage"]?.stringValue, ref.objectMembers?.count == 1 {
                    inputs.append((inputName, .stage(stage)))
                } else if let filePath = ref["file"]?.stringValue {
                    for (key, _) in ref.objectMembers! where !["file", "sha256", "fetch"].contains(key) {
                        throw bad("\(ipath).\(key)", "unknown key; a file input has file, sha256 and fetch")
                    }
                    let sha = ref["sha256"]?.stringValue
                    if ref["sha256"] != nil, !(sha.map(isSHA256Hex) ?? false) {
                        throw bad("\(ipath).sha256", "must be 64 lowercase hex digits")
                    }
                    inputs.append((inputName, .file(path: filePath, sha256: sha, fetch: ref["fetch"]?.stringValue)))
                } else {
                    throw bad(ipath, "must be {\"file\": PATH} or {\"stage\": NAME}, got \(ref.canonical)")
                }
            }
            guard let params = (body["params"] ?? .object([])).objectMembers else {
                throw bad("\(path).params", "must be an object of param name -> value")
            }
            entries.append(StageEntry(name: name, uses: uses, inputs: inputs, params: params))
        }
        stages = entries

        guard let profileMembers = (json["profiles"] ?? .object([])).objectMembers else {
            throw bad("profiles", "must be an object of profile name -> { stage: { param: value } }")
        }
        var profiles: [String: [(stage: String, params: [(String, JSON)])]] = [:]
        for (profile, body) in profileMembers {
            guard let stageOverrides = body.objectMembers else { throw bad("profiles.\(profile)", "must be an object of stage -> { param: value }") }
            var list: [(stage: String, params: [(String, JSON)])] = []
            for (stage, params) in stageOverrides {
                guard let p = params.objectMembers else { throw bad("profiles.\(profile).\(stage)", "must be an object of param -> value") }
                list.append((stage, p))
            }
            profiles[profile] = list
        }
        self.profiles = profiles
    }
}
