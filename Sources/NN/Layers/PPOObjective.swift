#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// PPO's clipped surrogate on the tokens a policy sampled, as a loss on the logits:
/// per token, ratio = exp(logp - logp_old), loss = -min(ratio * A, clip(ratio, 1-e, 1+e) * A),
/// averaged over the tokens whose mask is 1. log-probabilities are taken at `temperature`.
public enum PPOObjective {
    public struct Statistics: Equatable, Sendable {
        public var loss: Float
        /// Share of tokens whose ratio was clipped (the gradient is 0 there).
        public var clipFraction: Float
        public var ratioMean: Float
        public var ratioVariance: Float
        /// mean(logp_old - logp): the approximate KL to the rollout policy.
        public var approxKL: Float
        /// Mean entropy of the policy per token, at the temperature.
        public var entropy: Float
    }

    /// Overwrites `logits` (N, V) with d loss / d logits and returns the loss and its statistics.
    /// `actions`, `oldLogProbs`, `advantages`, `mask` have one entry per row.
    public static func lossAndGradient(logits: UnsafeMutablePointer<Float>, n: Int, v: Int, actions: [Int32],
                                       oldLogProbs: [Float], advantages: [Float], mask: [Float],
                                       clip: Float, temperature: Float = 1) -> Statistics {
        let count = mask.reduce(0, +)
        let invCount = count > 0 ? 1 / count : 0
        var loss: Double = 0, clipped: Double = 0, ratioSum: Double = 0, ratioSquares: Double = 0
        var kl: Double = 0, entropy: Double = 0
        for row in 0..<n {
            let z = logits + row * v
            guard mask[row] > 0 else { z.update(repeating: 0, count: v); continue }
            // log-softmax of logits / temperature
            var maxv = -Float.greatestFiniteMagnitude
            for j in 0..<v where z[j] > maxv { maxv = z[j] }
            var sum: Float = 0
            for j in 0..<v { sum += expf((z[j] - maxv) / temperature) }
            let lse = maxv / temperature + logf(sum)
            var h: Float = 0
            for j in 0..<v {
                let logp = z[j] / temperature - lse
                let p = expf(logp)
                h -= p * logp
                z[j] = p   // keep the probabilities for the gradient
            }
            let a = Int(actions[row])
            let logp = logf(max(z[a], Float.leastNormalMagnitude))
            let ratio = expf(logp - oldLogProbs[row])
            let adv = advantages[row]
            let unclipped = ratio * adv
            let clippedValue = min(max(ratio, 1 - clip), 1 + clip) * adv
            loss -= Double(min(unclipped, clippedValue) * mask[row])
            // The gradient flows only where the unclipped term is the minimum.
            let active = unclipped <= clippedValue
            if !active { clipped += Double(mask[row]) }
            ratioSum += Double(ratio * mask[row])
            ratioSquares += Double(ratio * ratio * mask[row])
            kl += Double((oldLogProbs[row] - logp) * mask[row])
            entropy += Double(h * mask[row])
            // d(-ratio * A)/d logp = -ratio * A ; d logp / d z_j = (onehot_j - p_j) / temperature
            let g = active ? -ratio * adv * mask[row] * invCount / temperature : 0
            for j in 0..<v { z[j] = -g * z[j] }
            z[a] += g
        }
        let c = Double(max(count, 1e-12))
        let mean = ratioSum / c
        return Statistics(loss: Float(loss / c), clipFraction: Float(clipped / c), ratioMean: Float(mean),
                          ratioVariance: Float(max(0, ratioSquares / c - mean * mean)), approxKL: Float(kl / c),
                          entropy: Float(entropy / c))
    }
}
