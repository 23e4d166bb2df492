import ArgumentParser
import Artifacts
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run one stage for every combination of some param values, sharing everything upstream.",
        discussion: """
        Each combination runs as its own copy of the stage, named like `ppo@lr=1e-5,beta=0.1`, with \
        the same inputs and seed as the stage itself, so a variant's artifact is exactly what \
        `pipeline run --set` with its params would produce. Upstream stages are computed once (or \
        come from the run cache). The variants are recorded in \
        pipeline.<profile>.sweep.lock, not in the pipeline's lock. The command ends with a table of \
        each variant's summary and writes sweep.json: per variant its params, output, summary and \
        metrics lines (the curves `pipeline report` draws).

        Examples:
          pipeline sweep --set ppo.lr=1e-6,1e-5,1e-4
          pipeline sweep --set ppo.lr=1e-5,1e-4 --set ppo.beta=0.02,0.1,0.2,0.4 --jobs 2
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("A swept param and its values (repeatable; all for one stage).",
                                                         valueName: "STAGE.PARAM=V1,V2,..."))
    var sets: [String] = []

    @Option(name: .long, help: "How many variants may run at once.")
    var jobs: Int = 1

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the comparison.", valueName: "FILE"))
    var output: String = "sweep.json"

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard !sets.isEmpty else { throw ValidationError("give at least one --set STAGE.PARAM=V1,V2,...") }
    }

    func run() throws {
        let workspace = options.value
        let sweep = try Sweep(sets: sets)
        let base = try workspace.resolve(profile: profile.profile)
        let pipeline = try sweep.pipeline(base)
        let start = Date()
        let reports = try sweep.run(workspace: workspace, pipeline: base, jobs: jobs, report: Run.reporter(pipeline))
        let summary = try sweep.summary(workspace: workspace, pipeline: base)
        let url = workspace.resolvePath(output)
        try FileSystem.writeAtomically(Data(summary.pretty.utf8), to: url)
        Console.out("")
        for line in SweepCommand.table(summary) { Console.out(line) }
        Console.out("wrote \(output)")
        try Run.finish(reports, pipeline: pipeline, since: start)
    }

    /// One row per variant: its name and every summary value (numbers to 4 significant digits).
    static func table(_ summary: JSON) -> [String] {
        let variants = summary["variants"]?.arrayValue ?? []
        var keys: [String] = []
        for variant in variants {
            for (key, _) in variant["summary"]?.objectMembers ?? [] where !keys.contains(key) { keys.append(key) }
        }
        keys.sort(by: utf8Less)
        func cell(_ value: JSON?) -> String {
            switch value {
            case let .double(x)?: return String(format: "%.4g", x)
            case let .string(s)?: return s
            case let value?: return value.canonical
            case nil: return "-"
            }
        }
        let rows = [["variant"] + keys] + variants.map { v in [v["name"]?.stringValue ?? "?"] + keys.map { cell(v["summary"]?[$0]) } }
        let widths = (0..<(keys.count + 1)).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces) }
    }
}
