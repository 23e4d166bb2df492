import Foundation
import NN
import Testing

/// Analytic gradients against central differences, layer by layer and for every loss.
/// Everything is Float, so steps are large (1e-2) and tolerances loose but still sharp enough to
/// catch a wrong term (a 10% error in any gradient fails).
@Suite("Finite differences")
struct FiniteDifferenceTests {
    func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count).map { _ in rng.nextNormal() * scale }
    }

    /// Checks d(sum(w * f(x)))/dx against `analytic` at every input index.
    func check(_ x: [Float], w: [Float], h: Float = 1e-2, tolerance: Float = 2e-2,
               f: ([Float]) -> [Float], analytic: [Float], _ what: String) {
        var worst: Float = 0
        for i in 0..<x.count {
            var plus = x, minus = x
            plus[i] += h
            minus[i] -= h
            let lp = zip(f(plus), w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let lm = zip(f(minus), w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let numeric = Float((lp - lm) / Double(2 * h))
            let error = abs(numeric - analytic[i]) / (1e-2 + abs(numeric))
            worst = max(worst, error)
        }
        #expect(worst < tolerance, "\(what): worst relative error \(worst)")
    }

    @Test("LayerNorm: input, weight and bias")
    func layerNorm() {
        let n = 3, c = 6
        let x = values(n * c, seed: 1), weight = values(c, seed: 2, scale: 0.5).map { $0 + 1 }, bias = values(c, seed: 3)
        let w = values(n * c, seed: 4)
        func run(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: n * c), mean = [Float](repeating: 0, count: n), rstd = mean
            LayerNorm.forward(&out, mean: &mean, rstd: &rstd, x, weight: weight, bias: bias, n: n, c: c, epsilon: 1e-5)
            return out
        }
        var out = [Float](repeating: 0, count: n * c), mean = [Float](repeating: 0, count: n), rstd = mean
        LayerNorm.forward(&out, mean: &mean, rstd: &rstd, x, weight: weight, bias: bias, n: n, c: c, epsilon: 1e-5)
        var dx = [Float](repeating: 0, count: n * c), dw = [Float](repeating: 0, count: c), db = dw
        LayerNorm.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: w, inp: x, weight: weight, mean: mean, rstd: rstd, n: n, c: c)
        check(x, w: w, f: { run($0, weight, bias) }, analytic: dx, "dx")
        check(weight, w: w, f: { run(x, $0, bias) }, analytic: dw, "dweight")
        check(bias, w: w, f: { run(x, weight, $0) }, analytic: db, "dbias")
    }

    @Test("Linear: input, weight and bias")
    func linear() {
        let n = 4, ic = 5, oc = 3
        let x = values(n * ic, seed: 1), weight = values(oc * ic, seed: 2), bias = values(oc, seed: 3), w = values(n * oc, seed: 4)
        func run(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: n * oc)
            Linear.forward(&out, x, weight, bias, n: n, inFeatures: ic, outFeatures: oc)
            return out
        }
        var dx = [Float](repeating: 0, count: n * ic), dw = [Float](repeating: 0, count: oc * ic), db = [Float](repeating: 0, count: oc)
        Linear.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: w, inp: x, weight: weight, n: n, inFeatures: ic, outFeatures: oc)
        check(x, w: w, f: { run($0, weight, bias) }, analytic: dx, "dx")
        check(weight, w: w, f: { run(x, $0, bias) }, analytic: dw, "dweight")
        check(bias, w: w, f: { run(x, weight, $0) }, analytic: db, "dbias")
    }

    @Test("GELU")
    func gelu() {
        let x = values(20, seed: 1, scale: 2), w = values(20, seed: 2)
        var dx = [Float](repeating: 0, count: 20)
        GELU.backward(dinp: &dx, inp: x, dout: w, count: 20)
        check(x, w: w, h: 1e-3, f: { x in var y = [Float](repeating: 0, count: 20); GELU.forward(&y, x, count: 20); return y },
              analytic: dx, "dx")
    }

    @Test("causal attention: fast path equals the reference, and its gradient")
    func attention() {
        let b = 2, t = 5, c = 8, nh = 2
        let qkv = values(b * t * 3 * c, seed: 1), w = values(b * t * c, seed: 2)
        func run(_ qkv: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: b * t * c), probs = [Float](repeating: 0, count: b * nh * t * t)
            var scratch = [Float](repeating: 0, count: 2 * t * t)
            Attention.forward(&out, probs: &probs, qkv, dropMask: nil, scratch: &scratch, b: b, t: t, c: c, heads: nh)
            return out
        }
        let fast = run(qkv), reference = Attention.reference(qkv, b: b, t: t, c: c, heads: nh)
        #expect(zip(fast, reference).allSatisfy { abs($0 - $1) < 1e-5 })

        var out = [Float](repeating: 0, count: b * t * c), probs = [Float](repeating: 0, count: b * nh * t * t)
        var scratch = [Float](repeating: 0, count: 2 * t * t)
        Attention.forward(&out, probs: &probs, qkv, dropMask: nil, scratch: &scratch, b: b, t: t, c: c, heads: nh)
        var dqkv = [Float](repeating: 0, count: b * t * 3 * c)
        Attention.backward(dqkv: &dqkv, dout: w, qkv: qkv, probs: probs, dropMask: nil, scratch: &scratch, b: b, t: t, c: c, heads: nh)
        check(qkv, w: w, f: run, analytic: dqkv, "dqkv")
    }

    @Test("cross-entropy with ignored targets")
    func crossEntropy() {
        let n = 4, v = 7
        let logits = values(n * v, seed: 1, scale: 2)
        let targets: [Int32] = [3, CrossEntropy.ignoreIndex, 0, 6]
        func loss(_ z: [Float]) -> [Float] {
            var sums = [Float](repeating: 0, count: n), copy = z
            return [CrossEntropy.forward(logits: &copy, targets: targets, inverseSums: &sums, n: n, v: v).loss]
        }
        var grad = logits, sums = [Float](repeating: 0, count: n)
        let (_, count) = CrossEntropy.forward(logits: &grad, targets: targets, inverseSums: &sums, n: n, v: v)
        #expect(count == 3)
        CrossEntropy.backward(logits: &grad, targets: targets, inverseSums: sums, n: n, v: v, count: count)
        #expect(grad[v..<(2 * v)].allSatisfy { $0 == 0 })
        check(logits, w: [1], h: 1e-3, f: loss, analytic: grad, "dlogits")
    }

    @Test("classification head with soft targets (neutral = 0.5)", arguments: Classifier.Pooling.allCases)
    func classifier(pooling: Classifier.Pooling) {
        let b = 3, t = 4, c = 6
        let head = Classifier(classes: 2, dModel: c, pooling: pooling, seed: 7)
        let hidden = values(b * t * c, seed: 1)
        let positions = [3, 1, 2]
        let targets: [Float] = [1, 0, 0.5, 0.5, 0, 1]
        func loss(_ h: [Float]) -> [Float] {
            let logits = h.withUnsafeBufferPointer { head.forward(hidden: $0.baseAddress!, positions: positions, t: t) }
            return [head.loss(logits: logits, targets: targets)]
        }
        _ = loss(hidden)
        var dhidden = [Float](repeating: 0, count: b * t * c)
        head.grads.zero()
        head.backward(targets: targets, dhidden: &dhidden, t: t)
        check(hidden, w: [1], h: 1e-2, f: loss, analytic: dhidden, "dhidden")
        // And the head's own weights.
        let weights = head.params.array
        let analytic = head.grads.array
        check(weights, w: [1], f: { p in
            for i in 0..<p.count { head.params[i] = p[i] }
            defer { for i in 0..<weights.count { head.params[i] = weights[i] } }
            return loss(hidden)
        }, analytic: analytic, "dscore")
    }

    enum KLInLoss: CaseIterable { case none, sampled, exact }

    @Test("PPO clipped objective, with clipped and unclipped tokens, at temperature 0.8, without the KL in the loss and with either KL term",
          arguments: KLInLoss.allCases)
    func ppo(klInLoss: KLInLoss) {
        let n = 5, v = 21
        let logits = values(n * v, seed: 1)
        let actions: [Int32] = [0, 5, 20, 2, 17]
        // Old log-probs chosen so some ratios fall outside [0.8, 1.2].
        let oldLogProbs: [Float] = [-3.2, -2.5, -2.4, -3.0, -3.9]
        let advantages: [Float] = [1.0, -0.5, 2.0, 0.7, -1.5]
        let mask: [Float] = [1, 1, 1, 0, 1]
        let referenceLogits = FloatBuffer(values(n * v, seed: 2))
        defer { withExtendedLifetime(referenceLogits) {} }
        let penalty: PPOObjective.KLPenalty?
        switch klInLoss {
        case .none: penalty = nil
        case .sampled: penalty = .sampled(referenceLogProbs: [-3.0, -2.9, -3.1, -2.0, -3.3], coefficient: 0.3)
        case .exact: penalty = .exact(referenceLogits: UnsafePointer(referenceLogits.pointer), coefficient: 0.3)
        }
        func loss(_ z: [Float]) -> [Float] {
            var copy = z
            return [PPOObjective.lossAndGradient(logits: &copy, n: n, v: v, actions: actions, oldLogProbs: oldLogProbs,
                                                 advantages: advantages, mask: mask, clip: 0.2, temperature: 0.8, klPenalty: penalty).loss]
        }
        var grad = logits
        let stats = PPOObjective.lossAndGradient(logits: &grad, n: n, v: v, actions: actions, oldLogProbs: oldLogProbs,
                                                 advantages: advantages, mask: mask, clip: 0.2, temperature: 0.8, klPenalty: penalty)
        #expect(stats.clipFraction > 0 && stats.clipFraction < 1)
        check(logits, w: [1], h: 1e-3, f: loss, analytic: grad, "dlogits")
        if klInLoss == .exact {
            // The term is 0.3 times the mean exact KL over the unmasked rows, computed here in Double.
            var copy = logits
            let surrogate = PPOObjective.lossAndGradient(logits: &copy, n: n, v: v, actions: actions, oldLogProbs: oldLogProbs,
                                                         advantages: advantages, mask: mask, clip: 0.2, temperature: 0.8).loss
            let rows = (0..<n).filter { mask[$0] > 0 }
            let kl = rows.map { row in
                zip(logSoftmax(logits, row: row, v: v, temperature: 0.8), logSoftmax(referenceLogits.array, row: row, v: v, temperature: 0.8)).map { exp($0) * ($0 - $1) }.reduce(0, +)
            }.reduce(0, +) / Double(rows.count)
            #expect(abs(Double(stats.loss - surrogate) - 0.3 * kl) < 1e-5)
        }
    }

    @Test("PPO ratio is exactly 1 when the old log-probs come from the same logits")
    func ppoFirstMinibatch() {
        let n = 3, v = 37
        let logits = values(n * v, seed: 3)
        let actions: [Int32] = [1, 0, 36]
        let old = logits.withUnsafeBufferPointer { PolicyDistribution.logProbs(logits: $0.baseAddress!, n: n, v: v, actions: actions) }
        var grad = logits
        let stats = PPOObjective.lossAndGradient(logits: &grad, n: n, v: v, actions: actions, oldLogProbs: old,
                                                 advantages: [1, -1, 1], mask: [1, 1, 1], clip: 0.2)
        #expect(stats.maxRatioDeviation == 0)
        #expect(stats.ratioMean == 1 && stats.ratioVariance == 0 && stats.approxKL == 0)
        #expect(stats.clipFraction == 0)
    }

    @Test("policy log-probs, exact KL and entropy match a double-precision softmax, fused or not")
    func policyDistribution() {
        let n = 4, v = 37, temperature: Float = 0.7
        let z = values(n * v, seed: 8), r = values(n * v, seed: 9)
        let actions: [Int32] = [0, 36, 17, 5]
        let logp = z.withUnsafeBufferPointer { PolicyDistribution.logProbs(logits: $0.baseAddress!, n: n, v: v, actions: actions, temperature: temperature) }
        let measured = z.withUnsafeBufferPointer { zp in
            r.withUnsafeBufferPointer {
                PolicyDistribution.compare(policy: zp.baseAddress!, reference: $0.baseAddress!, n: n, v: v, actions: actions, temperature: temperature)
            }
        }
        let referenceLogp = r.withUnsafeBufferPointer { PolicyDistribution.logProbs(logits: $0.baseAddress!, n: n, v: v, actions: actions, temperature: temperature) }
        // The fused pass gives the bits of the separate one: PPO's first ratio depends on it.
        #expect(measured.logProbs == logp)
        #expect(measured.referenceLogProbs == referenceLogp)
        let (kl, entropy) = (measured.kl, measured.entropy)
        for row in 0..<n {
            let p = logSoftmax(z, row: row, v: v, temperature: temperature), q = logSoftmax(r, row: row, v: v, temperature: temperature)
            #expect(abs(Double(logp[row]) - p[Int(actions[row])]) < 1e-5)
            let exactKL = zip(p, q).map { exp($0) * ($0 - $1) }.reduce(0, +)
            let exactEntropy = -p.map { exp($0) * $0 }.reduce(0, +)
            #expect(abs(Double(kl[row]) - exactKL) < 1e-5 + 1e-4 * exactKL)
            #expect(abs(Double(entropy[row]) - exactEntropy) < 1e-5 * exactEntropy)
        }
    }
}

/// Row `row` of (N, V) logits as log-probabilities at `temperature`, in Double.
private func logSoftmax(_ x: [Float], row: Int, v: Int, temperature: Float) -> [Double] {
    let s = x[(row * v)..<(row * v + v)].map { Double($0) / Double(temperature) }
    let lse = log(s.map { exp($0) }.reduce(0, +))
    return s.map { $0 - lse }
}
