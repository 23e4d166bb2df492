import ArgumentParser
import Artifacts
import Foundation
import Stages

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print p(happy) under the reward model, to probe it.",
        discussion: """
        Texts are normalised and tokenised like the corpus and cut to the reward model's context.
        --file reads label-import's JSON Lines forms ({"sample": ...} or {"work": ..., "line": ...,
        "lines": ...}; "sentiment" optional) and prints one p(happy) per line in input order, then,
        when lines carry a sentiment, `accuracy: A (N labelled)` over the happy and sad ones.

        Examples:
          pipeline score "O happy day!" "Alas, poor Yorick."
          pipeline score --file corpus/labels.jsonl
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(help: "The stage whose reward model to use.")
    var stage = "reward-train"

    @Option(help: "A JSON Lines file of passages to score.")
    var file: String?

    @Argument(help: "Texts to score.")
    var texts: [String] = []

    func validate() throws {
        if file == nil && texts.isEmpty { throw ValidationError("give texts to score, or --file F.jsonl") }
        if file != nil && !texts.isEmpty { throw ValidationError("give texts or --file, not both") }
    }

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let scores: RewardScoring.Scores
        if let file {
            scores = try RewardScoring.score(file: URL(fileURLWithPath: file), workspace: workspace, pipeline: pipeline, stage: stage)
        } else {
            scores = try RewardScoring.score(texts: texts, workspace: workspace, pipeline: pipeline, stage: stage)
        }
        for p in scores.probabilities { Console.out(String(format: "%.4f", p)) }
        if let (accuracy, labelled) = scores.accuracy {
            Console.out(String(format: "accuracy: %.3f (%d labelled)", accuracy, labelled))
        }
    }
}
