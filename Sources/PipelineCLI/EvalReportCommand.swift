import ArgumentParser
import Artifacts
import Foundation
import Stages

struct EvalReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-report",
        abstract: "Join raters' exported ratings with the eval-pack key and compare the sources.",
        discussion: """
        Each RATINGS file is what eval.html's "Export ratings" wrote for one rater. The files are \
        checked against the current eval-pack (its pack id, sample ids, scores 1 to 5); then, per \
        source (pretrained model, preferred PPO checkpoint): the reward model's p(happy) and the \
        raters' positivity and sense, as mean ± std; the Mann-Whitney U test between the sources \
        on each sample's mean rating; and, with two or more raters, Krippendorff's alpha.

        Example:
          pipeline checkout eval-pack pack/     # send pack/eval.html to the raters
          pipeline eval-report ratings-Ann.json ratings-Ben.json
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(help: "The eval-pack stage whose key to use.")
    var stage = "eval-pack"

    @Argument(help: "Ratings files exported by eval.html, one per rater.")
    var ratings: [String]

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let entry = try lockedEntry(workspace, pipeline, stage)
        guard let data = try workspace.store(pipeline.config).readFile(entry.output, path: "key.json") else {
            throw PipelineError.badInput("stage '\(stage)' has no key.json: is it an eval-pack stage?")
        }
        let report = try EvalReport(key: JSON.parse(data), ratingFiles: ratings.map { URL(fileURLWithPath: $0) })
        Console.out(String(report.text.dropLast()))
    }
}
