import Artifacts
import Foundation
import NN

/// Samples from the model a locked stage produced, for `pipeline sample`.
public enum ModelSampling {
    public struct Options: Sendable {
        public var count = 3
        public var tokens = 200
        public var temperature: Float = 1
        public var topK: Int? = 10
        public var prompt = "\n"
        public var seed: UInt64 = 0

        public init() {}
    }

    /// `options.count` continuations of the prompt (prompt included), decoded.
    public static func samples(workspace: Workspace, pipeline: ResolvedPipeline, stage: String,
                               options: Options) throws -> [String] {
        let files = try LockedModel(workspace: workspace, pipeline: pipeline, stage: stage)
        defer { files.close() }
        let model: GPT
        do { model = try GPT.load(from: files.folder.appendingPathComponent("model.safetensors")) } catch {
            throw PipelineError.failed("stage '\(stage)' holds no language model to sample from (\(error))")
        }
        let text = files.prepare(options.prompt)
        let prompt = files.encode(options.prompt)
        guard !prompt.isEmpty else { throw PipelineError.badInput("--prompt is empty") }
        let room = model.config.contextLength - prompt.count
        guard room > 0 else {
            throw PipelineError.badInput("--prompt is \(prompt.count) tokens; the model's context is \(model.config.contextLength)")
        }
        let sampler = Sampler(model: model, batch: options.count)
        var rng = Xoshiro256(seed: options.seed)
        let (generated, _) = sampler.generate(prompt: prompt, steps: min(options.tokens, room), temperature: options.temperature,
                                              topK: options.topK, rng: &rng)
        return generated.map { text + files.vocabulary.decode($0.map { UInt32($0) }) }
    }
}
