import Foundation
import NN

/// Unconditional completions of a language model, each scored by a reward model: how happy the
/// model's own writing looks before any RL (reward-train's report), and the sample a fixed reward
/// normalisation is computed from.
///
/// Sampling is pure (temperature 1, no top-k), as PPO's rollouts are, and the reward model reads
/// the completion without its prompt.
public struct ScoredCompletions {
    public let tokens: [[Int32]]
    public let pHappy: [Float]

    /// `count` completions of `length` tokens after `prompt`, drawn `batch` at a time from one
    /// generator seeded with `seed`. The policy's dropout must be off.
    public init(policy: GPT, reward: RewardModel, prompt: [Int32], count: Int, length: Int, batch: Int = 32, seed: UInt64) {
        precondition(!policy.training, "sample with dropout off")
        let length = min(length, policy.config.contextLength - prompt.count)
        var rng = Xoshiro256(seed: seed)
        var tokens: [[Int32]] = []
        var sampler: Sampler?
        while tokens.count < count {
            let size = min(batch, count - tokens.count)
            if sampler?.batch != size { sampler = Sampler(model: policy, batch: size) }
            tokens += sampler!.generate(prompt: prompt, steps: length, temperature: 1, topK: nil, rng: &rng).tokens
        }
        self.tokens = tokens
        pHappy = reward.probabilities(tokens)
    }

    public var mean: Double { pHappy.isEmpty ? .nan : pHappy.reduce(0) { $0 + Double($1) } / Double(pHappy.count) }

    /// The population standard deviation of p(happy).
    public var standardDeviation: Double {
        let m = mean
        return pHappy.isEmpty ? .nan : (pHappy.reduce(0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(pHappy.count)).squareRoot()
    }
}
