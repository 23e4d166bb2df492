import Artifacts
import Foundation
import NN

/// overopt-analyze: where does optimising the reward model stop making better text? Every policy
/// the ppo stage saved writes `n_samples` completions from one fixed seed (the same random stream
/// for each, so differences come from the policy), which are measured: reward-model score, KL from
/// the original, texture (separator ratio, distinct-1/2, longest repeat), memorisation (8-grams
/// copied from the training split) and fluency (perplexity under the original model).
///
/// Output: `analysis.json` (per checkpoint, the fit of Gao et al.'s R(d) = d (alpha - beta ln d),
/// the onset and the preferred checkpoint), `checkpoints.csv`, `reward.svg`, `separator.svg`,
/// `distinct2.svg`, `perplexity.svg`, `samples.md` (a few samples per checkpoint) and
/// `samples/NNNN.jsonl` (every sample: text, token ids, p(happy) and KL; for eval-pack).
public struct OveroptAnalyzeStage: Stage {
    public let name = "overopt-analyze"
    public let version = 1
    public let summary = "measures every saved PPO policy and finds where over-optimisation starts"
    public let params = [
        ParamSpec("n_samples", .int, default: .int(128), help: "completions sampled from each checkpoint, from one fixed seed"),
        ParamSpec("rollout_len", .int, default: .int(64), help: "tokens per completion (as ppo samples them)"),
        ParamSpec("temperature", .number, default: .double(1), help: "sampling temperature; perplexity and KL are measured at it"),
        ParamSpec("memorization_n", .int, default: .int(8), help: "n-gram length for the copied-from-the-corpus share"),
        ParamSpec("onset_perplexity_ratio", .number, default: .double(1.25),
                  help: "fluency has degraded when the samples' perplexity under the original model is this many times the start's"),
        ParamSpec("onset_separator_change", .number, default: .double(0.05),
                  help: "texture has degraded when the separator ratio has moved this much (either way) from the start's"),
        ParamSpec("report_samples", .int, default: .int(5), help: "samples per checkpoint shown in samples.md"),
    ]
    public let inputs = [InputSpec("ppo", .stage, help: "the ppo stage: its checkpoints/"),
                         InputSpec("pretrain", .stage, help: "the original model: KL and perplexity are measured against it"),
                         InputSpec("reward", .stage, help: "the reward-train stage"),
                         InputSpec("tokens", .stage, help: "the tokenize stage (the prompt, decoding)"),
                         InputSpec("split", .stage, help: "the split stage: its training part is the corpus for memorisation")]
    public let usesSeed = true

    /// The seed's separator tokens.
    public static let separators = ["\n", " ", ",", "."]

    public init() {}

    public func run(_ context: StageContext) throws {
        try OveroptAnalysis(context).run()
    }
}

/// The measures of one checkpoint's samples.
struct CheckpointMeasures {
    let iteration: Int
    let path: String
    let kl: Double, klSampled: Double
    let pHappyMean: Double, pHappyStd: Double, logPHappyMean: Double
    let separatorRatio: Double, distinct1: Double, distinct2: Double
    let longestRepeatMean: Double, longestRepeatMax: Int
    let copiedShare: Double
    let perplexity: Double, entropy: Double
    /// The completions, as token ids and decoded, with p(happy) and exact KL each.
    let samples: [(tokens: [Int32], text: String, pHappy: Double, kl: Double)]

    var sqrtKL: Double { kl.squareRoot() }
}

/// One overopt-analyze run.
final class OveroptAnalysis {
    let context: StageContext
    let p: StageParams

    init(_ context: StageContext) {
        self.context = context
        p = context.params
    }

    func run() throws {
        let count = p.int("n_samples"), length = p.int("rollout_len"), temperature = Float(p.double("temperature"))
        guard count >= 2 else { throw PipelineError.badInput("overopt-analyze.n_samples must be at least 2") }
        guard temperature > 0 else { throw PipelineError.badInput("overopt-analyze.temperature must be above 0") }
        guard p.int("memorization_n") >= 1 else { throw PipelineError.badInput("overopt-analyze.memorization_n must be at least 1") }
        let reference = try GPT.load(from: context.input("pretrain").appendingPathComponent("model.safetensors"))
        let reward = try RewardModel(file: context.input("reward").appendingPathComponent("model.safetensors"))
        let vocabulary = try Vocabulary.read(from: context.input("tokens").appendingPathComponent("vocab.json"))
        guard (1...reference.config.contextLength).contains(length) else {
            throw PipelineError.badInput("overopt-analyze.rollout_len must be between 1 and the model's context (\(reference.config.contextLength))")
        }
        let index = try checkpointIndex()
        let corpus = try TokenFile.read(context.input("split").appendingPathComponent("train.bin"))
        let ngrams = NGramIndex(stream: corpus, n: p.int("memorization_n"))
        let separators = Set(OveroptAnalyzeStage.separators.map(Token.init).filter(vocabulary.contains).map { Int32(vocabulary.id($0)) })
        let prompt = Int32(vocabulary.id(Token("\n")))

        var measured: [CheckpointMeasures] = []
        for (k, entry) in index.enumerated() {
            let policy = try GPT.load(from: context.input("ppo").appendingPathComponent(entry.path).appendingPathComponent("model.safetensors"))
            guard policy.config == reference.config else {
                throw PipelineError.badInput("overopt-analyze: the ppo checkpoint \(entry.path) is not shaped like the pretrained model; were they run from the same pretrain?")
            }
            var rng = Xoshiro256(seed: context.seed(for: "samples"))
            let groups = stride(from: 0, to: count, by: 16).map { Array($0..<min(count, $0 + 16)) }
            let rollout = Rollout(policy: policy, sampler: Sampler(model: policy, batch: count), reference: reference, reward: reward,
                                  prompt: prompt, length: length, temperature: temperature, groups: groups, rng: &rng)
            let m = measure(rollout, iteration: entry.iteration, path: entry.path, vocabulary: vocabulary,
                            separators: separators, ngrams: ngrams)
            measured.append(m)
            context.progress(String(format: "checkpoint %d/%d (iteration %d): p(happy) %.3f  sqrt(KL) %.2f  perplexity %.1f  separators %.3f  distinct-2 %.3f",
                                    k + 1, index.count, entry.iteration, m.pHappyMean, m.sqrtKL, m.perplexity, m.separatorRatio, m.distinct2))
        }
        try OveroptReport(measures: measured, params: p).write(to: context.outputDirectory, context: context)
    }

    /// ppo's `checkpoints/index.json`: iteration and folder of each saved policy, in run order.
    func checkpointIndex() throws -> [(iteration: Int, path: String)] {
        let file = context.input("ppo").appendingPathComponent("checkpoints/index.json")
        guard let entries = try? JSON.parse(Data(contentsOf: file)).arrayValue else {
            throw PipelineError.badInput("overopt-analyze: the ppo artifact has no readable checkpoints/index.json")
        }
        let index = entries.compactMap { entry -> (Int, String)? in
            guard let iteration = entry["iteration"]?.intValue, let path = entry["path"]?.stringValue else { return nil }
            return (Int(iteration), path)
        }
        guard index.count == entries.count, !index.isEmpty else {
            throw PipelineError.badInput("overopt-analyze: ppo's checkpoints/index.json lists no checkpoints, or one without an iteration and path")
        }
        return index
    }

    func measure(_ r: Rollout, iteration: Int, path: String, vocabulary: Vocabulary, separators: Set<Int32>,
                 ngrams: NGramIndex) -> CheckpointMeasures {
        let repeats = r.completions.map(TextStatistics.longestRepeat)
        let pHappy = meanAndDeviation(r.pHappy)
        let texts = r.completions.map { vocabulary.decode($0.map { UInt32($0) }) }
        return CheckpointMeasures(
            iteration: iteration, path: path, kl: r.meanKL, klSampled: meanAndDeviation(r.sampledKL).mean,
            pHappyMean: pHappy.mean, pHappyStd: pHappy.deviation, logPHappyMean: meanAndDeviation(r.logHappy).mean,
            separatorRatio: TextStatistics.separatorRatio(r.completions, separators: separators),
            distinct1: TextStatistics.distinct(r.completions, n: 1), distinct2: TextStatistics.distinct(r.completions, n: 2),
            longestRepeatMean: Double(repeats.reduce(0, +)) / Double(repeats.count), longestRepeatMax: repeats.max() ?? 0,
            copiedShare: ngrams.copiedShare(r.completions),
            perplexity: exp(-meanAndDeviation(r.referenceLogProbs).mean), entropy: meanAndDeviation(r.entropy).mean,
            samples: (0..<r.count).map { (r.completions[$0], texts[$0], Double(r.pHappy[$0]), Double(r.completionKL[$0])) })
    }
}
