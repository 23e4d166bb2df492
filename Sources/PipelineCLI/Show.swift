import ArgumentParser
import Artifacts
import Foundation

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a stage's artifact: output hash, key, params, inputs, files and summary metrics."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Argument(help: "The stage (or a sweep's variant, such as ppo@lr=1e-5).")
    var stage: String

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let entry = try lockedEntry(workspace, pipeline, stage)
        let inv = entry.invocation
        Console.out("stage    \(stage) (uses \(inv.uses), version \(inv.version))")
        Console.out("output   \(entry.output)")
        Console.out("key      \(inv.key)")
        if let seed = inv.seed { Console.out("seed     \(seed)") }
        Console.out("params")
        for (name, value) in (inv.params.objectMembers ?? []).sorted(by: { utf8Less($0.0, $1.0) }) {
            Console.out("  \(name) = \(value.canonical)")
        }
        Console.out("inputs")
        for (name, input) in inv.inputs.sorted(by: { utf8Less($0.key, $1.key) }) {
            switch input.source {
            case let .file(path, _, _): Console.out("  \(name): file \(path)  \(input.sha256)")
            case let .stage(dep): Console.out("  \(name): stage \(dep)  \(input.sha256)")
            }
        }
        let files = try workspace.store(pipeline.config).listFiles(entry.output)
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        Console.out("files (\(files.count), \(formatBytes(total)))")
        for file in files { Console.out("  \(Console.pad(formatBytes(file.size), 10)) \(file.path)") }
        if let summary = entry.summary.objectMembers, !summary.isEmpty {
            Console.out("summary")
            for (k, v) in summary.sorted(by: { utf8Less($0.0, $1.0) }) { Console.out("  \(k) = \(v.canonical)") }
        }
    }
}

/// The lock entry of `stage`, or a message saying how to get one.
func lockedEntry(_ workspace: Workspace, _ pipeline: ResolvedPipeline, _ stage: String) throws -> LockFile.Entry {
    // A sweep's variant (`ppo@lr=1e-5`) is recorded in the sweep's lock.
    if pipeline[stage] == nil, stage.contains("@"),
       let entry = try LockFile.load(workspace.root.appendingPathComponent(Sweep.lockFileName(profile: pipeline.profile)),
                                     profile: pipeline.profile).entries[stage] {
        return entry
    }
    guard pipeline[stage] != nil else {
        throw PipelineError.badInput("unknown stage '\(stage)'\(didYouMean(stage, in: pipeline.names)); stages: \(pipeline.names.joined(separator: ", "))")
    }
    guard let entry = try workspace.loadLock(pipeline).entries[stage] else {
        throw PipelineError.badInput("stage '\(stage)' has not run with profile \(pipeline.profile): `pipeline run \(stage)\(pipeline.profile == "default" ? "" : " --profile \(pipeline.profile)")` first")
    }
    return entry
}
