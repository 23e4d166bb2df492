import Foundation
import NN

/// Unconditional completions of a language model, each scored by a reward model: how happy the
/// model's own writing looks before any RL (reward-train's report), and the sample a fixed reward
/// normalisation is computed from.
///
/// Sampling is pure (no top-k), as PPO's rollouts are, and the reward model reads the completion
/// without its prompt.
public struct ScoredCompletions {
    public let tokens: [[Int32]]
    /// log p(happy) and log p(sad) of each completion under the reward model.
    public let logHappy: [Float], logSad: [Float]
    public var pHappy: [Float] { logHappy.map { Float(exp(Double($0))) } }

    /// `count` completions of `length` tokens after `prompt`, drawn `batch` at a time from one
    /// generator seeded with `seed`. The policy's dropout must be off.
    public init(policy: GPT, reward: RewardModel, prompt: [Int32], count: Int, length: Int, temperature: Float = 1,
                batch: Int = 32, seed: UInt64) {
        precondition(!policy.training, "sample with dropout off")
        let length = min(length, policy.config.contextLength - prompt.count)
        var rng = Xoshiro256(seed: seed)
        var tokens: [[Int32]] = []
        var sampler: Sampler?
        while tokens.count < count {
            let size = min(batch, count - tokens.count)
            if sampler?.batch != size { sampler = Sampler(model: policy, batch: size) }
            tokens += sampler!.generate(prompt: prompt, steps: length, temperature: temperature, topK: nil, rng: &rng).tokens
        }
        self.tokens = tokens
        let scores = reward.logProbabilities(tokens)
        logHappy = scores.map(\.happy)
        logSad = scores.map(\.sad)
    }

    /// Mean and population standard deviation of p(happy).
    public var mean: Double { meanAndDeviation(pHappy).mean }
    public var standardDeviation: Double { meanAndDeviation(pHappy).deviation }
}

/// Mean and population standard deviation (NaN for no values), summed in Double in order.
func meanAndDeviation(_ xs: [Float]) -> (mean: Double, deviation: Double) {
    guard !xs.isEmpty else { return (.nan, .nan) }
    let mean = xs.reduce(0) { $0 + Double($1) } / Double(xs.count)
    let variance = xs.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(xs.count)
    return (mean, variance.squareRoot())
}
