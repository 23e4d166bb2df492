import ArgumentParser
import Artifacts
import Foundation

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract a stage's artifact (verified against its hash) into a directory."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Argument(help: "The stage (or a sweep's variant, such as ppo@lr=1e-5).")
    var stage: String

    @Argument(help: "Where to extract it; must not exist or be empty.")
    var directory: String

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let entry = try lockedEntry(workspace, pipeline, stage)
        let target = URL(fileURLWithPath: directory)
        if FileSystem.exists(target) && !(FileSystem.isDirectory(target) && FileSystem.children(of: target).isEmpty) {
            throw PipelineError.badInput("\(directory) exists and is not an empty directory; choose a new one")
        }
        try workspace.store(pipeline.config).extract(entry.output, to: target)
        Console.out("checked out \(stage) (\(entry.output.prefix(12))) into \(directory)")
    }
}
