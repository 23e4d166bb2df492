#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A decoder-only, pre-LayerNorm transformer with explicit forward and backward passes:
/// embeddings (+ positions) -> N x [LN, causal attention, residual, LN, GELU MLP, residual] -> LN.
/// Heads (language model, classification) sit on the final hidden states.
///
/// Parameters and gradients live in two flat buffers with the same `layout`; `forward` saves
/// every activation `backward` needs, llm.c style.
public final class GPT: @unchecked Sendable {
    public let config: GPTConfig
    public let layout: ParameterLayout
    public let params: FloatBuffer
    public let grads: FloatBuffer
    /// Dropout is applied only when training (and `config.dropout > 0`).
    public var training = false
    /// The precision of the linear layers' products in `forward` and `backward` (sampling with
    /// the KV cache is always float32). Check `Precision.problem` before choosing bfloat16.
    public var precision: Precision = .float32 {
        didSet { if precision == .bfloat16 && workspace == nil { workspace = BFloat16Workspace() } }
    }
    private var workspace: BFloat16Workspace?
    /// The bfloat16 copies of the products' inputs when `precision` is bfloat16, else nil. Kept
    /// when switching back and forth (say, float32 for evaluation), so nothing is reallocated.
    public var bf16: BFloat16Workspace? { precision == .bfloat16 ? workspace : nil }
    /// Draws the dropout masks; part of a training checkpoint.
    public var dropoutRNG: Xoshiro256

    let layers: [LayerSlots]
    let top: TopSlots
    let sinusoidal: FloatBuffer?
    var acts: Activations?

    /// A model with GPT-2's initialisation drawn from `seed`: weights N(0, 0.02) (residual
    /// projections scaled by 1/sqrt(2 * n_layers)), biases 0, LayerNorm gains 1. With `initialize`
    /// false every parameter stays 0, for a checkpoint to fill (drawing 55M normals takes seconds).
    public init(config: GPTConfig, seed: UInt64, initialize: Bool = true) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        let layout = ParameterLayout.gpt(config)
        self.layout = layout
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        dropoutRNG = Xoshiro256(seed: seed ^ 0x5EED_D80F)
        layers = (0..<config.nLayers).map { LayerSlots(layout, $0) }
        top = TopSlots(layout)
        sinusoidal = config.positions == .sinusoidal ? Embedding.sinusoidal(length: config.contextLength, c: config.dModel) : nil

        guard initialize else { return }
        var rng = Xoshiro256(seed: seed)
        let residualScale = 0.02 / Float(2 * config.nLayers).squareRoot()
        for slot in layout.slots {
            let p = params.pointer + slot.offset
            if slot.name.hasSuffix("ln_1.weight") || slot.name.hasSuffix("ln_2.weight") || slot.name == "ln_f.weight" {
                p.update(repeating: 1, count: slot.count)
            } else if slot.isMatrix {
                let std: Float = slot.name.hasSuffix("c_proj.weight") ? residualScale : 0.02
                for i in 0..<slot.count { p[i] = rng.nextNormal() * std }
            }
        }
    }

    public func parameter(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let slot = layout[name] else { preconditionFailure("no parameter \(name)") }
        return params.pointer + slot.offset
    }

    /// A copy of the named parameter tensor's values.
    public func values(of name: String) -> [Float] {
        guard let slot = layout[name] else { preconditionFailure("no parameter \(name)") }
        return Array(UnsafeBufferPointer(start: params.pointer + slot.offset, count: slot.count))
    }

    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let slot = layout[name] else { preconditionFailure("no parameter \(name)") }
        return grads.pointer + slot.offset
    }

    public func zeroGradients() { grads.zero() }

    /// The output-head matrix (V, C): `lm_head` or, when tied, `wte`.
    var headWeight: Int { config.tiedHead ? top.wte : top.lmHead! }

    func activations(b: Int, t: Int) -> Activations {
        precondition(t <= config.contextLength, "sequence of \(t) tokens is longer than the context (\(config.contextLength))")
        if let a = acts, a.b == b, a.t == t { return a }
        let a = Activations(config: config, b: b, t: t)
        acts = a
        return a
    }

    // MARK: - Body

    /// Runs embeddings and blocks and the final LayerNorm on `tokens` (B, T); the hidden states
    /// (B, T, C) are `hidden` until the next forward.
    public func forwardHidden(tokens: [Int32], b: Int, t: Int) {
        precondition(tokens.count == b * t)
        let a = activations(b: b, t: t)
        let c = config.dModel, f = config.dFF, nh = config.nHeads, n = b * t
        let p = params.pointer, eps = Float(config.layerNormEpsilon)
        let dropout = training && config.dropout > 0
        a.tokens.update(from: tokens, count: n)
        a.dropout = dropout
        if dropout { a.fillMasks(&dropoutRNG, p: Float(config.dropout)) }

        let positions = sinusoidal?.pointer ?? (p + top.wpe!)
        Embedding.forward(a.encoded.pointer, tokens: a.tokens, wte: p + top.wte, positions: positions, b: b, t: t, c: c)
        if dropout { multiply(a.encoded.pointer, a.embeddingMask!.pointer, n * c) }

        var residual = UnsafePointer(a.encoded.pointer)
        for (l, w) in layers.enumerated() {
            let s = a.layers[l]
            LayerNorm.forward(s.ln1.pointer, mean: s.ln1Mean.pointer, rstd: s.ln1Rstd.pointer, residual,
                              weight: p + w.ln1w, bias: p + w.ln1b, n: n, c: c, epsilon: eps)
            Linear.forward(s.qkv.pointer, s.ln1.pointer, p + w.attnW, p + w.attnB, n: n, inFeatures: c, outFeatures: 3 * c, bf16: bf16)
            Attention.forward(s.atty.pointer, probs: s.probs.pointer, s.qkv.pointer, dropMask: dropout ? s.attnMask!.pointer : nil,
                              scratch: a.scratch.pointer, b: b, t: t, c: c, heads: nh)
            Linear.forward(s.residual2.pointer, s.atty.pointer, p + w.projW, p + w.projB, n: n, inFeatures: c, outFeatures: c, bf16: bf16)
            if dropout { multiply(s.residual2.pointer, s.projMask!.pointer, n * c) }
            add(s.residual2.pointer, residual, n * c)

            LayerNorm.forward(s.ln2.pointer, mean: s.ln2Mean.pointer, rstd: s.ln2Rstd.pointer, s.residual2.pointer,
                              weight: p + w.ln2w, bias: p + w.ln2b, n: n, c: c, epsilon: eps)
            Linear.forward(s.fch.pointer, s.ln2.pointer, p + w.fcW, p + w.fcB, n: n, inFeatures: c, outFeatures: f, bf16: bf16)
            GELU.forward(s.fchGelu.pointer, s.fch.pointer, count: n * f)
            Linear.forward(s.residual3.pointer, s.fchGelu.pointer, p + w.fcProjW, p + w.fcProjB, n: n, inFeatures: f, outFeatures: c, bf16: bf16)
            if dropout { multiply(s.residual3.pointer, s.mlpMask!.pointer, n * c) }
            add(s.residual3.pointer, s.residual2.pointer, n * c)
            residual = UnsafePointer(s.residual3.pointer)
        }
        LayerNorm.forward(a.hidden.pointer, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, residual,
                          weight: p + top.lnfW, bias: p + top.lnfB, n: n, c: c, epsilon: eps)
    }

    /// Final hidden states (B, T, C) of the last forward.
    public var hidden: FloatBuffer { acts!.hidden }

    /// Back-propagates `dhidden` (B, T, C, set by a head) through the body, accumulating into `grads`.
    public func backwardHidden() {
        guard let a = acts else { preconditionFailure("backward before forward") }
        let b = a.b, t = a.t, c = config.dModel, f = config.dFF, nh = config.nHeads, n = b * t
        let p = params.pointer, g = grads.pointer

        let dresidual = a.dresidual.pointer
        dresidual.update(repeating: 0, count: n * c)
        let lastResidual = layers.isEmpty ? a.encoded.pointer : a.layers[layers.count - 1].residual3.pointer
        LayerNorm.backward(dinp: dresidual, dweight: g + top.lnfW, dbias: g + top.lnfB, dout: a.dhidden.pointer,
                           inp: lastResidual, weight: p + top.lnfW, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, n: n, c: c)

        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let w = layers[l], s = a.layers[l]
            let input = l == 0 ? a.encoded.pointer : a.layers[l - 1].residual3.pointer
            let dbranch = a.dbranch.pointer

            // MLP branch: residual3 = residual2 + drop(c_proj(gelu(c_fc(ln_2(residual2)))))
            dbranch.update(from: dresidual, count: n * c)
            if a.dropout { multiply(dbranch, s.mlpMask!.pointer, n * c) }
            let dfchGelu = a.dwide.pointer, dfch = a.dwide2.pointer
            dfchGelu.update(repeating: 0, count: n * f)
            Linear.backward(dinp: dfchGelu, dweight: g + w.fcProjW, dbias: g + w.fcProjB, dout: dbranch,
                            inp: s.fchGelu.pointer, weight: p + w.fcProjW, n: n, inFeatures: f, outFeatures: c, bf16: bf16)
            dfch.update(repeating: 0, count: n * f)
            GELU.backward(dinp: dfch, inp: s.fch.pointer, dout: dfchGelu, count: n * f)
            let dln = a.dln.pointer
            dln.update(repeating: 0, count: n * c)
            Linear.backward(dinp: dln, dweight: g + w.fcW, dbias: g + w.fcB, dout: dfch,
                            inp: s.ln2.pointer, weight: p + w.fcW, n: n, inFeatures: c, outFeatures: f, bf16: bf16)
            LayerNorm.backward(dinp: dresidual, dweight: g + w.ln2w, dbias: g + w.ln2b, dout: dln, inp: s.residual2.pointer,
                               weight: p + w.ln2w, mean: s.ln2Mean.pointer, rstd: s.ln2Rstd.pointer, n: n, c: c)

            // Attention branch: residual2 = input + drop(c_proj(attn(c_attn(ln_1(input)))))
            dbranch.update(from: dresidual, count: n * c)
            if a.dropout { multiply(dbranch, s.projMask!.pointer, n * c) }
            let datty = a.dln2.pointer
            datty.update(repeating: 0, count: n * c)
            Linear.backward(dinp: datty, dweight: g + w.projW, dbias: g + w.projB, dout: dbranch,
                            inp: s.atty.pointer, weight: p + w.projW, n: n, inFeatures: c, outFeatures: c, bf16: bf16)
            let dqkv = a.dqkv.pointer
            dqkv.update(repeating: 0, count: n * 3 * c)
            Attention.backward(dqkv: dqkv, dout: datty, qkv: s.qkv.pointer, probs: s.probs.pointer,
                               dropMask: a.dropout ? s.attnMask!.pointer : nil, scratch: a.scratch.pointer, b: b, t: t, c: c, heads: nh)
            dln.update(repeating: 0, count: n * c)
            Linear.backward(dinp: dln, dweight: g + w.attnW, dbias: g + w.attnB, dout: dqkv,
                            inp: s.ln1.pointer, weight: p + w.attnW, n: n, inFeatures: c, outFeatures: 3 * c, bf16: bf16)
            LayerNorm.backward(dinp: dresidual, dweight: g + w.ln1w, dbias: g + w.ln1b, dout: dln, inp: input,
                               weight: p + w.ln1w, mean: s.ln1Mean.pointer, rstd: s.ln1Rstd.pointer, n: n, c: c)
        }
        if a.dropout { multiply(dresidual, a.embeddingMask!.pointer, n * c) }
        Embedding.backward(dwte: g + top.wte, dwpe: top.wpe.map { g + $0 }, dout: dresidual, tokens: a.tokens, b: b, t: t, c: c)
    }

    // MARK: - Language-model head

    /// Forward with the language-model head. Returns the mean cross-entropy when `targets`
    /// (B, T; `CrossEntropy.ignoreIndex` to skip a position) are given. Without targets the
    /// logits are in `logits`; with them, `logits` holds what `backward` needs instead.
    @discardableResult
    public func forward(tokens: [Int32], targets: [Int32]? = nil, b: Int, t: Int) -> Float? {
        forwardHidden(tokens: tokens, b: b, t: t)
        let a = acts!, n = b * t, v = config.vocabSize, c = config.dModel
        Linear.forward(a.logits.pointer, a.hidden.pointer, params.pointer + headWeight, nil, n: n, inFeatures: c, outFeatures: v, bf16: bf16)
        guard let targets else { a.lossCount = nil; return nil }
        precondition(targets.count == n)
        a.targets.update(from: targets, count: n)
        let (loss, count) = CrossEntropy.forward(logits: a.logits.pointer, targets: a.targets, inverseSums: a.inverseSums.pointer, n: n, v: v)
        a.lossCount = count
        return loss
    }

    /// Logits (B, T, V) of the last `forward`.
    public var logits: FloatBuffer { acts!.logits }

    /// Back-propagates the mean cross-entropy of the last `forward(tokens:targets:)`. Overwrites
    /// the logits with their gradient. Gradients accumulate: call `zeroGradients` between steps.
    public func backward() {
        guard let a = acts, let count = a.lossCount else { preconditionFailure("backward needs a forward with targets") }
        let n = a.b * a.t, v = config.vocabSize
        CrossEntropy.backward(logits: a.logits.pointer, targets: a.targets, inverseSums: a.inverseSums.pointer, n: n, v: v, count: count)
        backwardFromLogitGradient()
    }

    /// Back-propagates whatever gradient the caller wrote into `logits` (d loss / d logits, B*T x V):
    /// the general mechanism behind losses defined outside the model, such as PPO's.
    public func backwardFromLogitGradient() {
        guard let a = acts else { preconditionFailure("backward before forward") }
        let n = a.b * a.t, v = config.vocabSize, c = config.dModel
        a.dhidden.zero()
        Linear.backward(dinp: a.dhidden.pointer, dweight: grads.pointer + headWeight, dbias: nil, dout: a.logits.pointer,
                        inp: a.hidden.pointer, weight: params.pointer + headWeight, n: n, inFeatures: c, outFeatures: v, bf16: bf16)
        backwardHidden()
    }
}

@inline(__always) func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
    for i in 0..<n { x[i] += y[i] }
}

@inline(__always) func multiply(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
    for i in 0..<n { x[i] *= y[i] }
}

@inline(__always) func scale(_ x: UnsafeMutablePointer<Float>, _ s: Float, _ n: Int) {
    for i in 0..<n { x[i] *= s }
}

/// Offsets of one block's parameters in the flat buffer.
struct LayerSlots {
    let ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB: Int

    init(_ layout: ParameterLayout, _ l: Int) {
        func o(_ name: String) -> Int { layout["h.\(l).\(name)"]!.offset }
        ln1w = o("ln_1.weight"); ln1b = o("ln_1.bias")
        attnW = o("attn.c_attn.weight"); attnB = o("attn.c_attn.bias")
        projW = o("attn.c_proj.weight"); projB = o("attn.c_proj.bias")
        ln2w = o("ln_2.weight"); ln2b = o("ln_2.bias")
        fcW = o("mlp.c_fc.weight"); fcB = o("mlp.c_fc.bias")
        fcProjW = o("mlp.c_proj.weight"); fcProjB = o("mlp.c_proj.bias")
    }
}

/// Offsets of the parameters outside the blocks.
struct TopSlots {
    let wte: Int, wpe: Int?, lnfW: Int, lnfB: Int, lmHead: Int?

    init(_ layout: ParameterLayout) {
        wte = layout["wte.weight"]!.offset
        wpe = layout["wpe.weight"]?.offset
        lnfW = layout["ln_f.weight"]!.offset
        lnfB = layout["ln_f.bias"]!.offset
        lmHead = layout["lm_head.weight"]?.offset
    }
}
