import Foundation

/// One stage with everything that determines its key, except the hashes of its inputs.
public struct ResolvedStage: Sendable {
    public let name: String
    public let stage: any Stage
    public let params: StageParams
    /// Input name -> source, sorted by name.
    public let inputs: [(name: String, source: InputSource)]
    /// Stage-seed for `StageContext.seed`, nil when the stage declares no randomness.
    public let seed: UInt64?

    /// The stages whose artifacts this one reads.
    public var dependencies: [String] {
        inputs.compactMap { if case let .stage(s) = $0.source { return s } else { return nil } }
    }
}

/// A pipeline for one profile: params merged (stage defaults < pipeline.json < profile < --set),
/// validated against the registry, and ordered so every stage comes after its inputs.
public struct ResolvedPipeline: Sendable {
    public let profile: String
    public let config: PipelineConfig
    /// Topological order; ties keep the order of pipeline.json.
    public let stages: [ResolvedStage]

    /// Where runs of this pipeline record their outputs: `pipeline.lock`, `pipeline.<profile>.lock`,
    /// or a sweep's own lock.
    public let lockFileName: String

    public subscript(name: String) -> ResolvedStage? { stages.first { $0.name == name } }
    public var names: [String] { stages.map(\.name) }

    /// A `--set stage.param=value` override.
    public struct Override: Sendable {
        public let stage: String
        public let param: String
        public let value: String

        /// Parses `stage.param=value`.
        public init(parsing text: String) throws {
            guard let eq = text.firstIndex(of: "="), let dot = text[..<eq].firstIndex(of: ".") else {
                throw PipelineError.badInput("--set \(text): expected STAGE.PARAM=VALUE, e.g. --set ppo.lr=1e-4")
            }
            stage = String(text[..<dot])
            param = String(text[text.index(after: dot)..<eq])
            value = String(text[text.index(after: eq)...])
        }
    }

    public init(config: PipelineConfig, registry: StageRegistry, profile: String = "default",
                overrides: [Override] = []) throws {
        self.profile = profile
        self.config = config
        lockFileName = profile == "default" ? "pipeline.lock" : "pipeline.\(profile).lock"
        let file = config.file
        let declared = config.stages.map(\.name)

        guard profile == "default" || config.profiles[profile] != nil else {
            throw PipelineError.badInput("unknown profile '\(profile)'\(didYouMean(profile, in: config.profileNames)); \(file) defines: \(config.profileNames.joined(separator: ", "))")
        }

        // Params, layer by layer, each layer checked against the stage's declared params.
        var params: [String: [String: JSON]] = [:]
        func apply(_ stageName: String, _ param: String, _ value: JSON, _ origin: String) throws {
            guard let entry = config.stages.first(where: { $0.name == stageName }), let stage = registry[entry.uses] else { return }
            guard let spec = stage.params.first(where: { $0.name == param }) else {
                let known = stage.params.map(\.name)
                let list = known.isEmpty ? "it takes no params" : "its params are \(known.joined(separator: ", "))"
                throw PipelineError.badInput("\(origin): unknown param '\(param)' of stage '\(stageName)'\(didYouMean(param, in: known)); \(list)")
            }
            guard let canonical = spec.coerce(value) else {
                throw PipelineError.badInput("\(origin): param '\(stageName).\(param)' \(spec.typeError(value))")
            }
            params[stageName]![param] = canonical
        }

        for entry in config.stages {
            guard let stage = registry[entry.uses] else {
                let what = entry.uses == entry.name ? "unknown stage '\(entry.name)'" : "stage '\(entry.name)' uses unknown stage '\(entry.uses)'"
                throw PipelineError.badInput("\(file): \(what)\(didYouMean(entry.uses, in: registry.names)); known stages: \(registry.names.joined(separator: ", "))")
            }
            params[entry.name] = Dictionary(uniqueKeysWithValues: stage.params.map { ($0.name, $0.defaultValue) })
            for (param, value) in entry.params {
                try apply(entry.name, param, value, "\(file): stages.\(entry.name).params")
            }
        }
        for (stageName, overrides) in config.profiles[profile] ?? [] {
            guard declared.contains(stageName) else {
                throw PipelineError.badInput("\(file): profiles.\(profile): unknown stage '\(stageName)'\(didYouMean(stageName, in: declared))")
            }
            for (param, value) in overrides {
                try apply(stageName, param, value, "\(file): profiles.\(profile).\(stageName)")
            }
        }
        for o in overrides {
            let origin = "--set \(o.stage).\(o.param)=\(o.value)"
            guard let entry = config.stages.first(where: { $0.name == o.stage }) else {
                throw PipelineError.badInput("\(origin): unknown stage '\(o.stage)'\(didYouMean(o.stage, in: declared)); stages: \(declared.joined(separator: ", "))")
            }
            let stage = registry[entry.uses]!
            guard let spec = stage.params.first(where: { $0.name == o.param }) else {
                try apply(o.stage, o.param, .null, origin)   // throws the unknown-param error
                continue
            }
            guard let value = spec.parse(commandLine: o.value) else {
                throw PipelineError.badInput("\(origin): param '\(o.stage).\(o.param)' must be \(spec.kind.description)")
            }
            try apply(o.stage, o.param, value, origin)
        }

        // Inputs: every declared input given, of the right kind, referring to a declared stage.
        var resolved: [String: ResolvedStage] = [:]
        for entry in config.stages {
            let stage = registry[entry.uses]!
            let path = "\(file): stages.\(entry.name).inputs"
            var inputs: [(name: String, source: InputSource)] = []
            for (inputName, source) in entry.inputs {
                guard let spec = stage.inputs.first(where: { $0.name == inputName }) else {
                    let known = stage.inputs.map(\.name)
                    throw PipelineError.badInput("\(path): unknown input '\(inputName)' of stage '\(entry.uses)'\(didYouMean(inputName, in: known)); it takes \(known.isEmpty ? "no inputs" : known.joined(separator: ", "))")
                }
                switch (spec.kind, source) {
                case (.file, .file): break
                case let (.stage, .stage(other)):
                    guard declared.contains(other) else {
                        throw PipelineError.badInput("\(path).\(inputName): unknown stage '\(other)'\(didYouMean(other, in: declared))")
                    }
                case (.file, .stage):
                    throw PipelineError.badInput("\(path).\(inputName): must be a file ({\"file\": PATH})")
                case (.stage, .file):
                    throw PipelineError.badInput("\(path).\(inputName): must be another stage's output ({\"stage\": NAME})")
                }
                inputs.append((inputName, source))
            }
            for spec in stage.inputs where !inputs.contains(where: { $0.name == spec.name }) {
                throw PipelineError.badInput("\(path): missing input '\(spec.name)' (\(spec.kind == .file ? "a file" : "a stage's output"))")
            }
            inputs.sort { utf8Less($0.name, $1.name) }
            var values = params[entry.name]!
            for spec in stage.params { values[spec.name] = spec.resolvedOnThisMachine(values[spec.name]!) }
            resolved[entry.name] = ResolvedStage(
                name: entry.name, stage: stage, params: StageParams(values), inputs: inputs,
                seed: stage.usesSeed ? deriveSeed(config.seed, entry.name) : nil)
        }

        stages = try ResolvedPipeline.topologicalOrder(declared.map { resolved[$0]! }, file: file)
    }

    private init(profile: String, config: PipelineConfig, stages: [ResolvedStage], lockFileName: String) {
        self.profile = profile
        self.config = config
        self.stages = stages
        self.lockFileName = lockFileName
    }

    /// This pipeline plus copies of stage `original` that differ only in some params (a sweep's
    /// variants): each copy reads the same inputs and draws from the same seed as the original, so
    /// a variant computes exactly what `pipeline run --set` with its params would. Runs of the result
    /// record their outputs in `lockFileName`.
    public func adding(variantsOf original: String, _ variants: [(name: String, params: [(String, String)])],
                       lockFileName: String) throws -> ResolvedPipeline {
        guard let base = self[original] else {
            throw PipelineError.badInput("unknown stage '\(original)'\(didYouMean(original, in: names)); stages: \(names.joined(separator: ", "))")
        }
        var stages = self.stages
        for variant in variants {
            var values = base.params.values
            for (param, text) in variant.params {
                guard let spec = base.stage.params.first(where: { $0.name == param }) else {
                    let known = base.stage.params.map(\.name)
                    throw PipelineError.badInput("unknown param '\(param)' of stage '\(original)'\(didYouMean(param, in: known)); its params are \(known.joined(separator: ", "))")
                }
                guard let value = spec.parse(commandLine: text).flatMap(spec.coerce) else {
                    throw PipelineError.badInput("param '\(original).\(param)' must be \(spec.kind.description), not '\(text)'")
                }
                values[param] = spec.resolvedOnThisMachine(value)
            }
            stages.append(ResolvedStage(name: variant.name, stage: base.stage, params: StageParams(values), inputs: base.inputs, seed: base.seed))
        }
        return ResolvedPipeline(profile: profile, config: config, stages: stages, lockFileName: lockFileName)
    }

    /// Kahn's algorithm, taking ready stages in declaration order; a cycle is reported in full.
    static func topologicalOrder(_ stages: [ResolvedStage], file: String) throws -> [ResolvedStage] {
        var done = Set<String>()
        var order: [ResolvedStage] = []
        var remaining = stages
        while !remaining.isEmpty {
            guard let i = remaining.firstIndex(where: { $0.dependencies.allSatisfy(done.contains) }) else {
                throw PipelineError.badInput("\(file): the stages form a cycle: \(findCycle(remaining).joined(separator: " -> "))")
            }
            let next = remaining.remove(at: i)
            done.insert(next.name)
            order.append(next)
        }
        return order
    }

    private static func findCycle(_ stages: [ResolvedStage]) -> [String] {
        let deps = Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.dependencies) })
        // Every remaining stage depends on another remaining one, so walking first dependencies loops.
        var path: [String] = []
        var current = stages[0].name
        while !path.contains(current) {
            path.append(current)
            current = deps[current]!.first { deps[$0] != nil }!
        }
        let cycle = Array(path[path.firstIndex(of: current)!...]) + [current]
        // Show it in data-flow order: producer -> consumer.
        return cycle.reversed()
    }

    /// The named stages and everything they read, in pipeline order.
    public func closure(of names: [String]) throws -> [ResolvedStage] {
        for name in names where self[name] == nil {
            throw PipelineError.badInput("unknown stage '\(name)'\(didYouMean(name, in: self.names)); stages: \(self.names.joined(separator: ", "))")
        }
        var needed = Set<String>()
        var stack = names
        while let name = stack.popLast() {
            if needed.insert(name).inserted { stack.append(contentsOf: self[name]!.dependencies) }
        }
        return stages.filter { needed.contains($0.name) }
    }

    /// The stages that read `name`'s artifact, directly or not.
    public func downstream(of name: String) -> Set<String> {
        var result = Set<String>()
        for stage in stages where stage.dependencies.contains(where: { $0 == name || result.contains($0) }) {
            result.insert(stage.name)
        }
        return result
    }
}
