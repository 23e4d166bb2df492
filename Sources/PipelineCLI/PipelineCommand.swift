import ArgumentParser
import Artifacts
import Foundation

/// The `pipeline` command: a thin shell over the Artifacts library. Every subcommand works on a
/// workspace (the folder holding pipeline.json) and the stages in `PipelineCommand.registry`.
public struct PipelineCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run the RLHF-on-Shakespeare pipeline: cached, content-addressed, reproducible.",
        discussion: """
        Stages, their inputs and params live in pipeline.json; profiles (tiny, default, paper) \
        override params. Each stage's output is a content-hashed artifact under artifacts/, and \
        pipeline.lock records which artifact every stage produced. `pipeline run` re-runs only \
        the stages whose params, inputs or version changed.

        Exit status: 0 success; 1 a stage, a check or the store failed; 2 bad input \
        (nothing was run or written).
        """,
        subcommands: [Run.self, SweepCommand.self, Status.self, Dag.self, Show.self, Checkout.self, Sample.self, Score.self, EvalReportCommand.self, ReportCommand.self, ArchiveCommand.self,
                      Import.self, Verify.self, GC.self]
    )

    public init() {}

    nonisolated(unsafe) static var registry = StageRegistry()

    /// Parses `arguments` (the process's by default), runs the command and exits.
    public static func main(registry: StageRegistry, arguments: [String]? = nil) -> Never {
        self.registry = registry
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let error as PipelineError {
            Console.error("error: \(error.message)")
            Foundation.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { Console.error(message) }
            // Usage errors are bad input too: exit 2, like every other bad input.
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Options every subcommand takes.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The folder that holds pipeline.json.", valueName: "DIR"))
    var workspace: String = "."

    var value: Workspace {
        Workspace(root: URL(fileURLWithPath: workspace, isDirectory: true), registry: PipelineCommand.registry)
    }
}

/// Options of subcommands that pick a profile.
struct ProfileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Param overrides from pipeline.json's profiles; each profile has its own lock file (pipeline.<profile>.lock).", valueName: "NAME"))
    var profile: String = "default"
}
