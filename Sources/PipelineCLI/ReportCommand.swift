import ArgumentParser
import Artifacts
import Foundation
import Stages

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about the profile's current results.",
        discussion: """
        The page shows the stage table (keys, output hashes, how long each took, whether it is up \
        to date), the pretraining curves and samples, the reward model's accuracy and calibration, \
        the PPO curves, the over-optimisation plots with the preferred checkpoint, the evaluation \
        pack, a sweep's comparison (from sweep.json when it belongs to this profile) and samples \
        before and after PPO. Plots are inline SVG; the page needs no network.

        Examples:
          pipeline report                      # writes report.html
          pipeline report --profile tiny -o tiny.html
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the page.", valueName: "FILE"))
    var output = "report.html"

    @Option(help: ArgumentHelp("A sweep's comparison to include (default: sweep.json in the workspace, when it is this profile's).", valueName: "FILE"))
    var sweep: String?

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let sweepJSON = try loadSweep(workspace: workspace, profile: pipeline.profile)
        let html = try PipelineReport(workspace: workspace, pipeline: pipeline, sweep: sweepJSON).html
        let url = URL(fileURLWithPath: output), folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw PipelineError.badInput("cannot write \(output): the folder \(folder.path) does not exist")
        }
        do { try Data(html.utf8).write(to: url, options: .atomic) } catch {
            throw PipelineError.badInput("cannot write \(output): \(error.localizedDescription)")
        }
        Console.out("wrote \(output) (\(html.utf8.count / 1024) KB)")
    }

    /// The sweep to show: the one named, or sweep.json in the workspace when it is this profile's.
    func loadSweep(workspace: Workspace, profile: String) throws -> JSON? {
        if let sweep {
            do { return try JSON.parse(Data(contentsOf: URL(fileURLWithPath: sweep))) } catch {
                throw PipelineError.badInput("cannot read the sweep \(sweep): \(error)")
            }
        }
        let url = workspace.root.appendingPathComponent("sweep.json")
        guard let json = try? JSON.parse(Data(contentsOf: url)), json["profile"]?.stringValue == profile else { return nil }
        return json
    }
}
