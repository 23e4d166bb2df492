import Foundation

/// A parameter sweep of one stage: every combination of the listed values, each run as its own
/// copy of the stage (same inputs, same seed), sharing everything upstream, which is computed once.
/// The variants' outputs go to their own lock file, so the pipeline's lock is untouched.
public struct Sweep {
    /// One swept param and its values, as typed (`ppo.lr=1e-6,1e-5`).
    public struct Axis: Equatable {
        public let param: String
        public let values: [String]
    }

    public let stage: String
    public let axes: [Axis]

    /// Parses `--set STAGE.PARAM=V1,V2,...` options; all must name the same stage.
    public init(sets: [String]) throws {
        guard !sets.isEmpty else { throw PipelineError.badInput("a sweep needs at least one --set STAGE.PARAM=V1,V2,...") }
        var stage: String?
        var axes: [Axis] = []
        for text in sets {
            let o = try ResolvedPipeline.Override(parsing: text)
            guard stage == nil || stage == o.stage else {
                throw PipelineError.badInput("--set \(text): a sweep varies one stage; the other --set options name '\(stage!)'")
            }
            guard !axes.contains(where: { $0.param == o.param }) else { throw PipelineError.badInput("--set \(text): '\(o.param)' is swept twice") }
            let values = o.value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.contains(where: \.isEmpty) else { throw PipelineError.badInput("--set \(text): empty value in the list") }
            guard Set(values).count == values.count else { throw PipelineError.badInput("--set \(text): a value is listed twice") }
            stage = o.stage
            axes.append(Axis(param: o.param, values: values))
        }
        self.stage = stage!
        self.axes = axes
    }

    /// Every combination, first axis slowest, as (param, value) pairs.
    public var combinations: [[(String, String)]] {
        axes.reduce([[]]) { partial, axis in partial.flatMap { combo in axis.values.map { combo + [(axis.param, $0)] } } }
    }

    /// A variant's stage name: `ppo@lr=1e-5,beta=0.1`.
    public func name(_ combination: [(String, String)]) -> String {
        stage + "@" + combination.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    /// The sweep's lock file for a profile: `pipeline.<profile>.sweep.lock`, never the lock of a
    /// profile (even one named "sweep"), and still a `pipeline.*.lock` that `gc` keeps alive.
    public static func lockFileName(profile: String) -> String { "pipeline.\(profile).sweep.lock" }

    /// The pipeline with the variants added.
    public func pipeline(_ base: ResolvedPipeline) throws -> ResolvedPipeline {
        try base.adding(variantsOf: stage, combinations.map { (name($0), $0) }, lockFileName: Sweep.lockFileName(profile: base.profile))
    }

    /// Runs every variant (and what they need) and returns the stage reports.
    public func run(workspace: Workspace, pipeline base: ResolvedPipeline, jobs: Int,
                    report: @escaping @Sendable (RunEvent) -> Void) throws -> [StageReport] {
        let pipeline = try self.pipeline(base)
        let runner = try Runner(workspace: workspace, pipeline: pipeline, report: report)
        return try runner.run(targets: combinations.map(name), jobs: jobs)
    }

    /// `sweep.json`: per variant its params, output, summary and the lines of its `metrics.jsonl`
    /// (the curves a report draws), read from the sweep's lock.
    public func summary(workspace: Workspace, pipeline base: ResolvedPipeline) throws -> JSON {
        let pipeline = try self.pipeline(base)
        let lock = try workspace.loadLock(pipeline)
        let store = workspace.store(pipeline.config)
        var variants: [JSON] = []
        for combination in combinations {
            let name = self.name(combination)
            guard let entry = lock.entries[name] else { continue }
            // Only metrics.jsonl: a ppo artifact also holds hundreds of MB of policy checkpoints.
            let text = try store.readFile(entry.output, path: "metrics.jsonl").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let metrics = try text.split(separator: "\n").map { try JSON.parse(String($0)) }
            variants.append(.object([
                ("name", .string(name)),
                ("params", .object(combination.map { param, _ in (param, pipeline[name]!.params.values[param]!) })),
                ("output", .string(entry.output)), ("summary", entry.summary), ("metrics", .array(metrics)),
            ]))
        }
        return .object([("stage", .string(stage)), ("profile", .string(base.profile)),
                        ("axes", .object(axes.map { ($0.param, .array($0.values.map(JSON.string))) })),
                        ("variants", .array(variants))])
    }
}
