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
        /// The largest |ratio - 1| over the tokens: exactly 0 before the policy has moved.
        public var maxRatioDeviation: Float
    }

    /// A KL penalty inside the loss, gradient included.
    public enum KLPenalty {
        /// coefficient * (logp - logp_reference) of the sampled token (the seed's variant).
        case sampled(referenceLogProbs: [Float], coefficient: Float)
        /// coefficient * KL(policy || reference) over the whole vocabulary, from the reference's
        /// logits (N, V): its gradient pulls every logit of the row back, not only the sampled one's.
        case exact(referenceLogits: UnsafePointer<Float>, coefficient: Float)
    }

    /// Overwrites `logits` (N, V) with d loss / d logits and returns the loss and its statistics.
    /// `actions`, `oldLogProbs`, `advantages`, `mask` have one entry per row. With `klPenalty`,
    /// a KL term joins the loss, gradient included.
    public static func lossAndGradient(logits: UnsafeMutablePointer<Float>, n: Int, v: Int, actions: [Int32],
                                       oldLogProbs: [Float], advantages: [Float], mask: [Float],
                                       clip: Float, temperature: Float = 1, klPenalty: KLPenalty? = nil) -> Statistics {
        let count = mask.reduce(0, +)
        let invCount = count > 0 ? 1 / count : 0
        let invT = 1 / temperature
        // Per-row terms, summed in row order afterwards: the result does not depend on threads.
        var terms = [RowTerms](repeating: RowTerms(), count: n)
        terms.withUnsafeMutableBufferPointer { terms in
            let terms = terms.baseAddress!
            Parallel.forEach(count: n, minimumPerChunk: 8) { _, rows in
                for row in rows {
                    let z = logits + row * v
                    guard mask[row] > 0 else { z.update(repeating: 0, count: v); continue }
                    let (shift, logSum) = PolicyDistribution.normalizer(z, v: v, inverseTemperature: invT)
                    let a = Int(actions[row])
                    let logp = (z[a] - shift) * invT - logSum
                    let ratio = expf(logp - oldLogProbs[row])
                    let adv = advantages[row], weight = mask[row]
                    let unclipped = ratio * adv
                    let clippedValue = min(max(ratio, 1 - clip), 1 + clip) * adv
                    // The gradient flows only where the unclipped term is the minimum.
                    let active = unclipped <= clippedValue
                    var loss = -min(unclipped, clippedValue)
                    // d(-ratio * A)/d logp = -ratio * A
                    var dlogp = active ? -ratio * adv : 0
                    var reference: (logits: UnsafePointer<Float>, coefficient: Float)?
                    switch klPenalty {
                    case let .sampled(referenceLogProbs, coefficient):
                        loss += coefficient * (logp - referenceLogProbs[row])
                        dlogp += coefficient
                    case let .exact(referenceLogits, coefficient):
                        reference = (referenceLogits + row * v, coefficient)
                    case nil: break
                    }
                    // d logp / d z_j = (onehot_j - p_j) / temperature
                    let g = dlogp * weight * invCount * invT
                    let entropy: Float
                    if let reference {
                        let kl: Float
                        (entropy, kl) = exactKLRow(z, reference.logits, v: v, shift: shift, logSum: logSum, invT: invT, g: g,
                                                   k: reference.coefficient * weight * invCount * invT)
                        loss += reference.coefficient * kl
                    } else {
                        entropy = surrogateRow(z, v: v, shift: shift, logSum: logSum, invT: invT, g: g)
                    }
                    z[a] += g
                    terms[row] = RowTerms(loss: loss * weight, clipped: active ? 0 : weight, ratio: ratio * weight,
                                          ratioSquared: ratio * ratio * weight, kl: (oldLogProbs[row] - logp) * weight,
                                          entropy: entropy * weight, deviation: abs(ratio - 1))
                }
            }
        }
        var sum = (loss: 0.0, clipped: 0.0, ratio: 0.0, ratioSquared: 0.0, kl: 0.0, entropy: 0.0)
        for t in terms {
            sum.loss += Double(t.loss); sum.clipped += Double(t.clipped)
            sum.ratio += Double(t.ratio); sum.ratioSquared += Double(t.ratioSquared)
            sum.kl += Double(t.kl); sum.entropy += Double(t.entropy)
        }
        let c = Double(max(count, 1e-12))
        let mean = sum.ratio / c
        return Statistics(loss: Float(sum.loss / c), clipFraction: Float(sum.clipped / c), ratioMean: Float(mean),
                          ratioVariance: Float(max(0, sum.ratioSquared / c - mean * mean)), approxKL: Float(sum.kl / c),
                          entropy: Float(sum.entropy / c), maxRatioDeviation: terms.map(\.deviation).max() ?? 0)
    }

    /// Replaces a row's logits by the surrogate's gradient, -g * p_j (the caller adds g at the
    /// action), and returns the row's entropy. Probabilities are written on the way and scaled
    /// after, so each exp is taken once.
    @inline(__always)
    static func surrogateRow(_ z: UnsafeMutablePointer<Float>, v: Int, shift: Float, logSum: Float, invT: Float, g: Float) -> Float {
        var h = Vec(repeating: 0)
        var j = 0
        while j + 16 <= v {
            let lp = (vload(z + j) - shift) * invT - logSum
            let p = vexp(lp)
            h -= p * lp
            vstore(p, z + j)
            j += 16
        }
        var entropy = h.sum()
        while j < v {
            let lp = (z[j] - shift) * invT - logSum
            let p = expf(lp)
            entropy -= p * lp
            z[j] = p
            j += 1
        }
        let gv = Vec(repeating: -g)
        j = 0
        while j + 16 <= v { vstore(gv * vload(z + j), z + j); j += 16 }
        while j < v { z[j] = -g * z[j]; j += 1 }
        return entropy
    }

    /// As `surrogateRow`, plus the exact KL to the reference row `r` with its gradient:
    /// d KL / d z_j = p_j (log p_j - log q_j - KL) / temperature, weighted by `k`. Returns the
    /// entropy and the KL.
    @inline(__always)
    static func exactKLRow(_ z: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>, v: Int, shift: Float, logSum: Float,
                           invT: Float, g: Float, k: Float) -> (entropy: Float, kl: Float) {
        let (rs, rl) = PolicyDistribution.normalizer(r, v: v, inverseTemperature: invT)
        let (kl, entropy) = PolicyDistribution.klAndEntropy(z, (shift, logSum), r, (rs, rl), v: v, inverseTemperature: invT)
        // The logits are still intact: the second pass recomputes p and writes the gradient.
        var j = 0
        let gv = Vec(repeating: g), kv = Vec(repeating: k), klv = Vec(repeating: kl)
        while j + 16 <= v {
            let lp = (vload(z + j) - shift) * invT - logSum, lq = (vload(r + j) - rs) * invT - rl
            let p = vexp(lp)
            vstore(p * (kv * (lp - lq - klv) - gv), z + j)
            j += 16
        }
        while j < v {
            let lp = (z[j] - shift) * invT - logSum, lq = (r[j] - rs) * invT - rl
            let p = expf(lp)
            z[j] = p * (k * (lp - lq - kl) - g)
            j += 1
        }
        return (entropy, kl)
    }

    struct RowTerms {
        var loss: Float = 0, clipped: Float = 0, ratio: Float = 0, ratioSquared: Float = 0, kl: Float = 0, entropy: Float = 0
        var deviation: Float = 0
    }
}
