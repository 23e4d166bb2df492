/// Everything a forward pass saves for the backward pass, for one (B, T), plus gradient scratch.
final class Activations {
    /// Per block. Shapes in comments: N = B*T.
    final class Layer {
        let ln1, ln1Mean, ln1Rstd: FloatBuffer        // (N, C), (N), (N)
        let qkv: FloatBuffer                          // (N, 3C)
        let probs: FloatBuffer                        // (B, NH, T, T) softmax before dropout
        let atty: FloatBuffer                         // (N, C) attention output before c_proj
        let residual2: FloatBuffer                    // (N, C) after the attention branch
        let ln2, ln2Mean, ln2Rstd: FloatBuffer        // (N, C), (N), (N)
        let fch, fchGelu: FloatBuffer                 // (N, F)
        let residual3: FloatBuffer                    // (N, C) block output
        let attnMask, projMask, mlpMask: FloatBuffer? // dropout multipliers

        init(_ cfg: GPTConfig, b: Int, t: Int) {
            let n = b * t, c = cfg.dModel
            ln1 = FloatBuffer(count: n * c); ln1Mean = FloatBuffer(count: n); ln1Rstd = FloatBuffer(count: n)
            qkv = FloatBuffer(count: n * 3 * c)
            probs = FloatBuffer(count: b * cfg.nHeads * t * t)
            atty = FloatBuffer(count: n * c)
            residual2 = FloatBuffer(count: n * c)
            ln2 = FloatBuffer(count: n * c); ln2Mean = FloatBuffer(count: n); ln2Rstd = FloatBuffer(count: n)
            fch = FloatBuffer(count: n * cfg.dFF); fchGelu = FloatBuffer(count: n * cfg.dFF)
            residual3 = FloatBuffer(count: n * c)
            let drop = cfg.dropout > 0
            attnMask = drop ? FloatBuffer(count: b * cfg.nHeads * t * t) : nil
            projMask = drop ? FloatBuffer(count: n * c) : nil
            mlpMask = drop ? FloatBuffer(count: n * c) : nil
        }
    }

    let b: Int, t: Int
    let tokens: UnsafeMutablePointer<Int32>       // (N)
    let targets: UnsafeMutablePointer<Int32>      // (N)
    let encoded: FloatBuffer                      // (N, C) embeddings (+ dropout)
    let embeddingMask: FloatBuffer?
    let layers: [Layer]
    let hidden, lnfMean, lnfRstd: FloatBuffer     // (N, C), (N), (N)
    let logits: FloatBuffer                       // (N, V); its gradient after backward
    let inverseSums: FloatBuffer                  // (N) 1 / sum of softmax numerators per row
    var lossCount: Int?
    var dropout = false

    // Gradient scratch.
    let dhidden, dresidual, dbranch, dln, dln2: FloatBuffer  // (N, C)
    let dqkv: FloatBuffer                                    // (N, 3C)
    let dwide, dwide2: FloatBuffer                           // (N, F)
    let scratch: FloatBuffer                                 // 2 * T * T

    init(config cfg: GPTConfig, b: Int, t: Int) {
        self.b = b
        self.t = t
        let n = b * t, c = cfg.dModel
        tokens = .allocate(capacity: n); tokens.initialize(repeating: 0, count: n)
        targets = .allocate(capacity: n); targets.initialize(repeating: 0, count: n)
        encoded = FloatBuffer(count: n * c)
        embeddingMask = cfg.dropout > 0 ? FloatBuffer(count: n * c) : nil
        layers = (0..<cfg.nLayers).map { _ in Layer(cfg, b: b, t: t) }
        hidden = FloatBuffer(count: n * c); lnfMean = FloatBuffer(count: n); lnfRstd = FloatBuffer(count: n)
        logits = FloatBuffer(count: n * cfg.vocabSize)
        inverseSums = FloatBuffer(count: n)
        dhidden = FloatBuffer(count: n * c); dresidual = FloatBuffer(count: n * c); dbranch = FloatBuffer(count: n * c)
        dln = FloatBuffer(count: n * c); dln2 = FloatBuffer(count: n * c)
        dqkv = FloatBuffer(count: n * 3 * c)
        dwide = FloatBuffer(count: n * cfg.dFF); dwide2 = FloatBuffer(count: n * cfg.dFF)
        scratch = FloatBuffer(count: 2 * t * t)
    }

    deinit {
        tokens.deallocate()
        targets.deallocate()
    }

    /// Draws fresh dropout masks: each element 0 with probability p, else 1/(1-p).
    func fillMasks(_ rng: inout Xoshiro256, p: Float) {
        let keep = 1 / (1 - p)
        func fill(_ buffer: FloatBuffer?) {
            guard let buffer else { return }
            for i in 0..<buffer.count { buffer[i] = rng.nextUniformFloat() < p ? 0 : keep }
        }
        fill(embeddingMask)
        for layer in layers {
            fill(layer.attnMask)
            fill(layer.projMask)
            fill(layer.mlpMask)
        }
    }
}
