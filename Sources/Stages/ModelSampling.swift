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
        let lock = try workspace.loadLock(pipeline)
        let profileFlag = pipeline.profile == "default" ? "" : " --profile \(pipeline.profile)"
        guard let entry = lock.entries[stage] else {
            throw PipelineError.badInput("stage '\(stage)' has not run: `pipeline run \(stage)\(profileFlag)` first")
        }
        guard let tokens = entry.invocation.inputs["tokens"] else {
            throw PipelineError.badInput("stage '\(stage)' holds no language model to sample from")
        }
        let store = workspace.store(pipeline.config)
        let scratch = try FileSystem.makeTemporaryDirectory(prefix: "pipeline-sample")
        defer { FileSystem.remove(scratch) }
        try store.extract(entry.output, to: scratch.appendingPathComponent("model"))
        try store.extract(tokens.sha256, to: scratch.appendingPathComponent("tokens"))
        let vocabulary = try Vocabulary.read(from: scratch.appendingPathComponent("tokens/vocab.json"))
        let stats = try JSON.parse(Data(contentsOf: scratch.appendingPathComponent("tokens/stats.json")))
        let model: GPT
        do { model = try GPT.load(from: scratch.appendingPathComponent("model/model.safetensors")) } catch {
            throw PipelineError.failed("cannot load the model of '\(stage)': \(error)")
        }
        let text = stats["normalized"]?.boolValue == false ? options.prompt : TextNormalizer.normalize(options.prompt)
        let prompt = vocabulary.encode(text).map { Int32($0) }
        guard !prompt.isEmpty else { throw PipelineError.badInput("--prompt is empty") }
        let room = model.config.contextLength - prompt.count
        guard room > 0 else {
            throw PipelineError.badInput("--prompt is \(prompt.count) tokens; the model's context is \(model.config.contextLength)")
        }
        let sampler = Sampler(model: model, batch: options.count)
        var rng = Xoshiro256(seed: options.seed)
        let (generated, _) = sampler.generate(prompt: prompt, steps: min(options.tokens, room), temperature: options.temperature,
                                              topK: options.topK, rng: &rng)
        return generated.map { text + vocabulary.decode($0.map { UInt32($0) }) }
    }
}
