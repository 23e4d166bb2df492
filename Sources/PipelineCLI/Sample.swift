import ArgumentParser
import Artifacts
import Foundation
import Stages

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print samples from a trained model (pretrain, or ppo once it exists).",
        discussion: """
        The same --seed gives the same samples. Samples are limited to the model's context.

        Examples:
          pipeline sample
          pipeline sample --n 5 --temperature 0.8 --prompt "ROMEO."
        """
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(help: "The stage whose model to sample.")
    var stage = "pretrain"

    @Option(name: .customLong("n"), help: "How many samples.")
    var count = 3

    @Option(help: "Tokens to generate per sample (at most the model's context).")
    var tokens = 200

    @Option(help: "Softmax temperature.")
    var temperature: Float = 1

    @Option(help: "Sample among the K most likely tokens only; 0 for all.")
    var topK = 10

    @Option(help: "Text to continue.")
    var prompt = "\n"

    @Option(help: "Seed of the sampling generator.")
    var seed: UInt64 = 0

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--n must be at least 1") }
        guard tokens >= 1 else { throw ValidationError("--tokens must be at least 1") }
        guard temperature > 0 else { throw ValidationError("--temperature must be above 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (all) or more") }
    }

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        var o = ModelSampling.Options()
        o.count = count; o.tokens = tokens; o.temperature = temperature
        o.topK = topK == 0 ? nil : topK; o.prompt = prompt; o.seed = seed
        let samples = try ModelSampling.samples(workspace: workspace, pipeline: pipeline, stage: stage, options: o)
        for (i, text) in samples.enumerated() {
            Console.out("=== sample \(i + 1)")
            Console.out(text)
        }
    }
}
