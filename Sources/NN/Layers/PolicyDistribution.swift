#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The language model as a policy: softmax(logits / temperature) per row of (N, V) logits.
///
/// Every log-probability of a token, in rollouts, in the KL to the reference and inside the PPO
/// objective, goes through `normalizer`, so the same logits always give the same bits: that is
/// what makes PPO's ratio exactly 1 before the policy moves.
public enum PolicyDistribution {
    /// The row's maximum and log(sum(exp((z - max) / T))): log p_j = (z_j - max) / T - logSum.
    @inline(__always)
    static func normalizer(_ z: UnsafePointer<Float>, v: Int, inverseTemperature: Float) -> (shift: Float, logSum: Float) {
        let shift = maxElement(z, v)
        return (shift, logf(sumExp(z, v, shift: shift, scale: inverseTemperature)))
    }

    /// log p(action) of each row at `temperature`.
    public static func logProbs(logits: UnsafePointer<Float>, n: Int, v: Int, actions: [Int32], temperature: Float = 1) -> [Float] {
        precondition(actions.count == n)
        let invT = 1 / temperature
        var result = [Float](repeating: 0, count: n)
        result.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            Parallel.forEach(count: n, minimumPerChunk: 8) { _, rows in
                for row in rows {
                    let z = logits + row * v
                    let (shift, logSum) = normalizer(z, v: v, inverseTemperature: invT)
                    out[row] = (z[Int(actions[row])] - shift) * invT - logSum
                }
            }
        }
        return result
    }

    /// What a rollout measures of each row: the log-probability of its action under the policy and
    /// under the reference, the exact KL(policy || reference) over the whole vocabulary and the
    /// policy's entropy, all at `temperature`, from one normaliser per row and model (the same bits
    /// `logProbs` gives).
    public struct Comparison {
        public var logProbs: [Float], referenceLogProbs: [Float], kl: [Float], entropy: [Float]
    }

    public static func compare(policy: UnsafePointer<Float>, reference: UnsafePointer<Float>, n: Int, v: Int,
                               actions: [Int32], temperature: Float = 1) -> Comparison {
        precondition(actions.count == n)
        let invT = 1 / temperature
        let zeros = [Float](repeating: 0, count: n)
        var result = Comparison(logProbs: zeros, referenceLogProbs: zeros, kl: zeros, entropy: zeros)
        withUnsafeMutablePointers(&result) { lpOut, lqOut, klOut, hOut in
            Parallel.forEach(count: n, minimumPerChunk: 8) { _, rows in
                for row in rows {
                    let z = policy + row * v, r = reference + row * v, a = Int(actions[row])
                    let (zs, zl) = normalizer(z, v: v, inverseTemperature: invT)
                    let (rs, rl) = normalizer(r, v: v, inverseTemperature: invT)
                    lpOut[row] = (z[a] - zs) * invT - zl
                    lqOut[row] = (r[a] - rs) * invT - rl
                    let (kl, entropy) = klAndEntropy(z, (zs, zl), r, (rs, rl), v: v, inverseTemperature: invT)
                    klOut[row] = max(0, kl)
                    hOut[row] = entropy
                }
            }
        }
        return result
    }

    /// One row's exact KL(p || q) over the vocabulary and the entropy of p, from the rows' logits
    /// and their normalisers.
    @inline(__always)
    static func klAndEntropy(_ z: UnsafePointer<Float>, _ zn: (shift: Float, logSum: Float), _ r: UnsafePointer<Float>,
                             _ rn: (shift: Float, logSum: Float), v: Int, inverseTemperature invT: Float) -> (kl: Float, entropy: Float) {
        var klSum = Vec(repeating: 0), hSum = Vec(repeating: 0)
        var j = 0
        while j + 16 <= v {
            let lp = (vload(z + j) - zn.shift) * invT - zn.logSum, lq = (vload(r + j) - rn.shift) * invT - rn.logSum
            let p = vexp(lp)
            klSum += p * (lp - lq)
            hSum -= p * lp
            j += 16
        }
        var kl = klSum.sum(), entropy = hSum.sum()
        while j < v {
            let lp = (z[j] - zn.shift) * invT - zn.logSum, lq = (r[j] - rn.shift) * invT - rn.logSum
            let p = expf(lp)
            kl += p * (lp - lq)
            entropy -= p * lp
            j += 1
        }
        return (kl, entropy)
    }

    private static func withUnsafeMutablePointers(
        _ c: inout Comparison,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        c.logProbs.withUnsafeMutableBufferPointer { a in
            c.referenceLogProbs.withUnsafeMutableBufferPointer { b in
                c.kl.withUnsafeMutableBufferPointer { k in
                    c.entropy.withUnsafeMutableBufferPointer { h in body(a.baseAddress!, b.baseAddress!, k.baseAddress!, h.baseAddress!) }
                }
            }
        }
    }
}
