#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Batched autoregressive sampling with a key/value cache: each new token costs one position's
/// worth of work instead of a full forward over the sequence.
public final class Sampler {
    public let model: GPT
    public let batch: Int
    private let c: Int, f: Int, v: Int, nh: Int, hs: Int, contextLength: Int
    /// Key cache row length: the context rounded up to whole vectors.
    private let keyStride: Int
    // Caches per layer: keys transposed (B, NH, HS, keyStride), so one query meets 16 keys per
    // vector op; values (B, T, C).
    private let keys: [FloatBuffer], values: [FloatBuffer]
    // Scratch for one position across the batch.
    private let x, ln, atty, branch: FloatBuffer          // (B, C)
    private let qkv: FloatBuffer                          // (B, 3C)
    private let hidden: FloatBuffer                       // (B, F)
    private let hidden2: FloatBuffer                      // (B, F)
    private let mean, rstd: FloatBuffer                   // (B)
    private let scores: FloatBuffer                       // (chunks, T)
    /// Row chunks of the per-row work (attention over the cache, drawing), run in parallel.
    static let chunks = 16
    /// Logits (B, V) of the last position fed.
    public let logits: FloatBuffer
    /// Positions fed so far.
    public private(set) var length = 0

    public init(model: GPT, batch: Int) {
        let cfg = model.config
        self.model = model
        self.batch = batch
        c = cfg.dModel; f = cfg.dFF; v = cfg.vocabSize; nh = cfg.nHeads; hs = cfg.headSize; contextLength = cfg.contextLength
        keyStride = (cfg.contextLength + 15) / 16 * 16
        keys = (0..<cfg.nLayers).map { [keyStride] _ in FloatBuffer(count: batch * keyStride * cfg.dModel) }
        values = (0..<cfg.nLayers).map { _ in FloatBuffer(count: batch * cfg.contextLength * cfg.dModel) }
        x = FloatBuffer(count: batch * c); ln = FloatBuffer(count: batch * c)
        atty = FloatBuffer(count: batch * c); branch = FloatBuffer(count: batch * c)
        qkv = FloatBuffer(count: batch * 3 * c)
        hidden = FloatBuffer(count: batch * f); hidden2 = FloatBuffer(count: batch * f)
        mean = FloatBuffer(count: batch); rstd = FloatBuffer(count: batch)
        scores = FloatBuffer(count: Sampler.chunks * keyStride)
        logits = FloatBuffer(count: batch * v)
    }

    public func reset() { length = 0 }

    /// Feeds one token per sequence at the next position; `logits` then holds the next-token logits.
    public func feed(_ tokens: [Int32]) {
        precondition(tokens.count == batch)
        precondition(length < contextLength, "the sequence reached the context length (\(contextLength))")
        let p = model.params.pointer, pos = length, eps = Float(model.config.layerNormEpsilon)
        let positions = model.sinusoidal?.pointer ?? (p + model.top.wpe!)
        for b in 0..<batch {
            let e = p + model.top.wte + Int(tokens[b]) * c, pe = positions + pos * c, y = x.pointer + b * c
            for i in 0..<c { y[i] = e[i] + pe[i] }
        }
        let scale = 1 / Float(hs).squareRoot()
        for (l, w) in model.layers.enumerated() {
            LayerNorm.forward(ln.pointer, mean: mean.pointer, rstd: rstd.pointer, x.pointer, weight: p + w.ln1w, bias: p + w.ln1b, n: batch, c: c, epsilon: eps)
            Linear.forward(qkv.pointer, ln.pointer, p + w.attnW, p + w.attnB, n: batch, inFeatures: c, outFeatures: 3 * c)
            // Rows are independent: each chunk of rows runs on its own thread with its own score scratch.
            // Each score and each output element sums its terms in the same order as a plain loop
            // would (the vectors run across keys, then across output elements), so the bits do not
            // depend on the vector width.
            let stride = keyStride
            Parallel.forEach(count: batch, chunks: Sampler.chunks) { chunk, rows in
                let scores = self.scores.pointer + chunk * stride
                for b in rows {
                    let row = qkv.pointer + b * 3 * c
                    (values[l].pointer + (b * contextLength + pos) * c).update(from: row + 2 * c, count: c)
                    for h in 0..<nh {
                        let q = row + h * hs, keys = keys[l].pointer + (b * nh + h) * hs * stride
                        for d in 0..<hs { keys[d * stride + pos] = row[c + h * hs + d] }
                        // Whole vectors of keys: lanes past `pos` hold stale keys and are never read.
                        var j = 0
                        while j <= pos {
                            var s = Vec(repeating: 0)
                            for d in 0..<hs { s += Vec(repeating: q[d]) * vload(keys + d * stride + j) }
                            vstore(s * scale, scores + j)
                            j += 16
                        }
                        var maxv = -Float.greatestFiniteMagnitude
                        for j in 0...pos { maxv = max(maxv, scores[j]) }
                        var sum: Float = 0
                        for j in 0...pos { let e = expf(scores[j] - maxv); scores[j] = e; sum += e }
                        let out = atty.pointer + b * c + h * hs
                        out.update(repeating: 0, count: hs)
                        for j in 0...pos {
                            let weight = scores[j] / sum, vv = values[l].pointer + (b * contextLength + j) * c + h * hs
                            var d = 0
                            while d + 16 <= hs { vstore(vload(out + d) + Vec(repeating: weight) * vload(vv + d), out + d); d += 16 }
                            while d < hs { out[d] += weight * vv[d]; d += 1 }
                        }
                    }
                }
            }
            Linear.forward(branch.pointer, atty.pointer, p + w.projW, p + w.projB, n: batch, inFeatures: c, outFeatures: c)
            add(x.pointer, branch.pointer, batch * c)
            LayerNorm.forward(ln.pointer, mean: mean.pointer, rstd: rstd.pointer, x.pointer, weight: p + w.ln2w, bias: p + w.ln2b, n: batch, c: c, epsilon: eps)
            Linear.forward(hidden.pointer, ln.pointer, p + w.fcW, p + w.fcB, n: batch, inFeatures: c, outFeatures: f)
            GELU.forward(hidden2.pointer, hidden.pointer, count: batch * f)
            Linear.forward(branch.pointer, hidden2.pointer, p + w.fcProjW, p + w.fcProjB, n: batch, inFeatures: f, outFeatures: c)
            add(x.pointer, branch.pointer, batch * c)
        }
        LayerNorm.forward(ln.pointer, mean: mean.pointer, rstd: rstd.pointer, x.pointer, weight: p + model.top.lnfW, bias: p + model.top.lnfB, n: batch, c: c, epsilon: eps)
        Linear.forward(logits.pointer, ln.pointer, p + model.headWeight, nil, n: batch, inFeatures: c, outFeatures: v)
        length += 1
    }

    /// Samples `steps` tokens after `prompt` (the same prompt for every sequence, e.g. "\n").
    /// Returns tokens (B, steps) and their log-probabilities under the distribution actually sampled
    /// from: softmax(logits / temperature), restricted to the top k when `topK` is given.
    public func generate(prompt: [Int32], steps: Int, temperature: Float = 1, topK: Int? = nil,
                         rng: inout Xoshiro256) -> (tokens: [[Int32]], logProbs: [[Float]]) {
        precondition(!prompt.isEmpty && temperature > 0)
        reset()
        for token in prompt.dropLast() { feed(Array(repeating: token, count: batch)) }
        var next = Array(repeating: prompt.last!, count: batch)
        var tokens = Array(repeating: [Int32](), count: batch), logProbs = Array(repeating: [Float](), count: batch)
        let pure = topK.map { $0 >= v } ?? true
        for _ in 0..<steps {
            feed(next)
            var drawn = [(Int32, Float)](repeating: (0, 0), count: batch)
            if pure {
                // The uniforms are taken in row order, so the draws can run in parallel with the same result.
                let us = (0..<batch).map { _ in rng.nextUniformDouble() }
                let logits = logits.pointer, v = v, invT = 1 / temperature
                drawn.withUnsafeMutableBufferPointer { out in
                    let out = out.baseAddress!
                    Parallel.forEach(count: batch, chunks: Sampler.chunks) { _, rows in
                        for b in rows { out[b] = Sampler.drawPure(logits + b * v, v: v, inverseTemperature: invT, u: us[b]) }
                    }
                }
            } else {
                for b in 0..<batch { drawn[b] = Sampler.draw(logits.pointer + b * v, v: v, temperature: temperature, topK: topK, rng: &rng) }
            }
            for (b, (token, logp)) in drawn.enumerated() {
                tokens[b].append(token)
                logProbs[b].append(logp)
                next[b] = token
            }
        }
        return (tokens, logProbs)
    }

    /// Pure sampling (no top-k) by inverse CDF in id order, 16 ids at a time, for a uniform `u` in
    /// [0, 1). The log-probability comes from the same normaliser as every other one
    /// (`PolicyDistribution`), so it agrees with a full forward's to rounding of the logits.
    static func drawPure(_ z: UnsafePointer<Float>, v: Int, inverseTemperature invT: Float, u: Double) -> (Int32, Float) {
        let (shift, logSum) = PolicyDistribution.normalizer(z, v: v, inverseTemperature: invT)
        let target = u * Double(expf(logSum))
        let s = Vec(repeating: shift)
        var acc = 0.0, j = 0
        // Skip whole blocks while the target lies beyond them, then walk the block that holds it.
        while j + 16 <= v {
            let block = Double(vexp((vload(z + j) - s) * invT).sum())
            if acc + block > target { break }
            acc += block
            j += 16
        }
        var choice = -1
        while j < v {
            acc += Double(vexp(Vec(repeating: (z[j] - shift) * invT))[0])
            if acc > target { choice = j; break }
            j += 1
        }
        if choice < 0 {
            // Rounding left the target past the sum: take the last token that has any probability.
            choice = v - 1
            while choice > 0 && (z[choice] - shift) * invT < -87 { choice -= 1 }
        }
        return (Int32(choice), (z[choice] - shift) * invT - logSum)
    }

    /// One draw by inverse CDF over the vocabulary in id order (deterministic for a given rng state).
    static func draw(_ z: UnsafePointer<Float>, v: Int, temperature: Float, topK: Int?, rng: inout Xoshiro256) -> (Int32, Float) {
        var allowed = [Bool](repeating: true, count: v)
        if let k = topK, k < v {
            // Keep the k largest logits (ties broken by lower id).
            let order = (0..<v).sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
            allowed = [Bool](repeating: false, count: v)
            for i in order.prefix(max(k, 1)) { allowed[i] = true }
        }
        var maxv = -Float.greatestFiniteMagnitude
        for j in 0..<v where allowed[j] { maxv = max(maxv, z[j] / temperature) }
        var weights = [Double](repeating: 0, count: v)
        var total = 0.0
        for j in 0..<v where allowed[j] {
            weights[j] = exp(Double(z[j] / temperature - maxv))
            total += weights[j]
        }
        let u = rng.nextUniformDouble() * total
        var acc = 0.0, choice = 0
        for j in 0..<v where allowed[j] {
            choice = j
            acc += weights[j]
            if u < acc { break }
        }
        return (Int32(choice), Float(log(weights[choice] / total)))
    }
}
