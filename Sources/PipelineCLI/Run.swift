import ArgumentParser
import Artifacts
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run stages whose inputs, params or version changed (all, or the named ones and what they need).",
        discussion: """
        Each stage is reported as `ran`, `cached` (its output for this exact key was in the run \
        cache, so nothing was computed) or `up to date`. A second run on the same workspace waits \
        for the first.

        Examples:
          pipeline run
          pipeline run pretrain --profile tiny
          pipeline run --set ppo.lr=1e-4 --set ppo.beta=0.05
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Argument(help: "Stages to bring up to date, with everything they read (default: all).")
    var stages: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a param for this run.", valueName: "STAGE.PARAM=VALUE"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("Run this stage even if it is up to date (repeatable).", valueName: "STAGE"))
    var force: [String] = []

    @Option(name: .long, help: "How many independent stages may run at once.")
    var jobs: Int = 1

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile, overrides: overrides)
        guard !pipeline.stages.isEmpty else {
            Console.out("nothing to run: \(pipeline.config.file) declares no stages")
            return
        }
        let runner = try Runner(workspace: workspace, pipeline: pipeline, report: Run.reporter(pipeline))
        let start = Date()
        let reports = try runner.run(targets: stages, force: Set(force), jobs: jobs)
        try Run.finish(reports, pipeline: pipeline, since: start)
    }

    /// Prints the runner's events: progress on one line, a line per finished stage.
    static func reporter(_ pipeline: ResolvedPipeline) -> @Sendable (RunEvent) -> Void {
        let width = max(12, (pipeline.names.map(\.count).max() ?? 0) + 2)
        return { event in
            switch event {
            case let .waiting(message): Console.error(message)
            case let .started(stage): Console.progress("running \(stage) ...")
            case let .progress(stage, message): Console.progress("\(stage): \(message)")
            case let .warning(message): Console.clearProgress(); Console.error("warning: \(message)")
            case let .finished(report):
                Console.clearProgress()
                Console.out(Run.line(report, width: width))
            }
        }
    }

    /// The closing count line; exit status 1 when a stage failed.
    static func finish(_ reports: [StageReport], pipeline: ResolvedPipeline, since start: Date) throws {
        let count = { (f: (StageOutcome) -> Bool) in reports.filter { f($0.outcome) }.count }
        let failed = count { if case .failed = $0 { return true } else { return false } }
        var parts = ["\(count { $0 == .ran }) ran", "\(count { $0 == .cached }) cached", "\(count { $0 == .upToDate }) up to date"]
        if failed > 0 { parts.append("\(failed) failed") }
        let skipped = count { if case .skipped = $0 { return true } else { return false } }
        if skipped > 0 { parts.append("\(skipped) skipped") }
        Console.out("\(plural(reports.count, "stage")): \(parts.joined(separator: ", ")) in \(Console.seconds(Date().timeIntervalSince(start))) [\(pipeline.lockFileName)]")
        if failed > 0 { throw ExitCode(1) }
    }

    static func line(_ report: StageReport, width: Int) -> String {
        let name = Console.pad(report.stage, width)
        switch report.outcome {
        case .ran: return "ran         \(name)\(Console.seconds(report.seconds))"
        case .cached:
            let origin = report.importedFrom.map { "imported from \($0); `pipeline verify` checks it" } ?? "run cache"
            return "cached      \(name)\(Console.seconds(report.seconds))  (\(origin))"
        case .upToDate: return "up to date  \(name)\(Console.seconds(report.seconds))"
        case let .failed(message):
            let log = report.log.map { "\n            log: \($0.path)" } ?? ""
            return "FAILED      \(name)\(Console.seconds(report.seconds))  \(message)\(log)"
        case let .skipped(why): return "skipped     \(name)(\(why))"
        }
    }
}
