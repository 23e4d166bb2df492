import ArgumentParser
import Artifacts
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which stages are up to date, which are stale and why, and which never ran."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("Show status as if this override were given to `run`.", valueName: "STAGE.PARAM=VALUE"))
    var overrides: [String] = []

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile, overrides: overrides)
        let statuses = try workspace.status(pipeline)
        if json {
            Console.out(String(JSON.object([("profile", .string(pipeline.profile)), ("stages", .array(statuses.map(\.json)))]).pretty.dropLast()))
            return
        }
        let width = max(12, (statuses.map(\.stage.count).max() ?? 0) + 2)
        for s in statuses {
            let restorable = s.restorable ? " (restorable from the run cache)" : ""
            switch s.state {
            case .upToDate: Console.out("\(Console.pad(s.stage, width))up to date")
            case .neverRun:
                let why = s.reasons.isEmpty ? "" : ": " + s.reasons.joined(separator: "; ")
                Console.out("\(Console.pad(s.stage, width))never run\(why)\(restorable)")
            case .stale: Console.out("\(Console.pad(s.stage, width))stale: \(s.reasons.joined(separator: "; "))\(restorable)")
            }
        }
    }
}
