import Foundation
import NN

/// One PPO batch: completions sampled from the policy after a one-token prompt, each scored by
/// the reward model, with per-token log-probabilities under the policy and the reference, the
/// exact KL between them and the policy's entropy.
///
/// The policy's log-probabilities are recomputed by the same full forward the update uses, in the
/// minibatches of the update's first pass, so PPO's ratio starts at exactly 1 (the KV-cached
/// sampler agrees only to rounding).
struct Rollout {
    let prompt: Int32
    let length: Int
    /// (B, L) sampled tokens.
    let completions: [[Int32]]
    /// Per token, row-major (B * L).
    var logProbs: [Float]
    var referenceLogProbs: [Float]
    var exactKL: [Float]
    var entropy: [Float]
    /// log p(happy) and log p(sad) of each completion, and p(happy).
    let logHappy: [Float], logSad: [Float], pHappy: [Float]
    /// When asked for: the reward model's happy-minus-sad margin of every prefix of each
    /// completion (a row per completion, a margin per token the reward model reads; element i
    /// reads the first i + 1 tokens).
    let prefixMargins: [[Float]]?
    /// The exact KL of each completion: its tokens' exact KLs summed.
    private(set) var completionKL: [Float] = []
    /// Wall time of the sampling alone, for the progress line (never part of an artifact).
    let samplingSeconds: Double

    var count: Int { completions.count }

    init(policy: GPT, sampler: Sampler, reference: GPT, reward: RewardModel, prompt: Int32, length: Int,
         temperature: Float, groups: [[Int]], prefixes: Bool = false, rng: inout Xoshiro256) {
        self.prompt = prompt
        self.length = length
        let start = Date()
        completions = sampler.generate(prompt: [prompt], steps: length, temperature: temperature, topK: nil, rng: &rng).tokens
        samplingSeconds = Date().timeIntervalSince(start)
        let n = completions.count * length
        logProbs = [Float](repeating: 0, count: n)
        referenceLogProbs = logProbs
        exactKL = logProbs
        entropy = logProbs
        let scores: [(happy: Float, sad: Float)]
        if prefixes {
            (scores, prefixMargins) = reward.logProbabilitiesAndPrefixMargins(completions)
        } else {
            (scores, prefixMargins) = (reward.logProbabilities(completions), nil)
        }
        logHappy = scores.map(\.happy)
        logSad = scores.map(\.sad)
        pHappy = logHappy.map { Float(exp(Double($0))) }
        let v = policy.config.vocabSize
        for rows in groups {
            let tokens = inputs(rows), actions = self.actions(rows)
            policy.forward(tokens: tokens, b: rows.count, t: length)
            reference.forward(tokens: tokens, b: rows.count, t: length)
            let measured = PolicyDistribution.compare(policy: policy.logits.pointer, reference: reference.logits.pointer,
                                                      n: rows.count * length, v: v, actions: actions, temperature: temperature)
            for (k, row) in rows.enumerated() {
                for i in 0..<length {
                    let at = row * length + i, from = k * length + i
                    logProbs[at] = measured.logProbs[from]; referenceLogProbs[at] = measured.referenceLogProbs[from]
                    exactKL[at] = measured.kl[from]; entropy[at] = measured.entropy[from]
                }
            }
        }
        completionKL = perCompletion(exactKL)
    }

    /// The model's input for these completions, flattened: the prompt, then each completion but its last token.
    func inputs(_ rows: [Int]) -> [Int32] { rows.flatMap { [prompt] + completions[$0].dropLast() } }

    /// The tokens each position chose, flattened like `inputs`.
    func actions(_ rows: [Int]) -> [Int32] { rows.flatMap { completions[$0] } }

    /// Per-token values of these rows, flattened like `inputs`.
    func gather(_ values: [Float], _ rows: [Int]) -> [Float] { rows.flatMap { values[($0 * length)..<(($0 + 1) * length)] } }

    /// Sum over the tokens of each completion.
    func perCompletion(_ values: [Float]) -> [Float] {
        (0..<count).map { row in values[(row * length)..<((row + 1) * length)].reduce(0, +) }
    }

    /// KL(policy || reference) in nats per completion, averaged over the batch.
    var meanKL: Double { meanAndDeviation(completionKL).mean }

    /// The sampled estimate of KL(policy || reference) per completion: sum of logp - logp_ref.
    var sampledKL: [Float] { perCompletion(zip(logProbs, referenceLogProbs).map { $0 - $1 }) }
}
