#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// AdamW with bias correction and decoupled weight decay applied to matrices only (nanoGPT's
/// rule), as one loop over the flat parameter buffer. The first and second moments share the
/// parameters' layout and are part of a training checkpoint.
public final class AdamW: @unchecked Sendable {
    public struct Settings: Codable, Equatable, Sendable {
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        public var weightDecay: Float

        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.1) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }

        /// The seed's optimiser: Adam(0.9, 0.98, eps 1e-9), no weight decay.
        public static let seed = Settings(beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0)
    }

    public let settings: Settings
    public let m: FloatBuffer
    public let v: FloatBuffer
    /// Number of updates taken so far.
    public var step = 0
    /// 1 where weight decay applies (matrices), 0 elsewhere.
    private let decayMask: FloatBuffer
    /// Per-parameter multiplier of the learning rate; nil when every tensor takes the plain rate.
    private let rateScale: FloatBuffer?

    /// `learningRateScales` multiplies the learning rate of the named tensors (for example a faster
    /// `wte.weight` when fine-tuning); unnamed tensors take the plain rate.
    public init(layout: ParameterLayout, settings: Settings, learningRateScales: [String: Float] = [:]) {
        self.settings = settings
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
        decayMask = FloatBuffer(count: layout.count)
        for slot in layout.slots where slot.isMatrix {
            (decayMask.pointer + slot.offset).update(repeating: 1, count: slot.count)
        }
        let scaled = learningRateScales.filter { $0.value != 1 }
        if scaled.isEmpty {
            rateScale = nil
        } else {
            let scale = FloatBuffer(count: layout.count)
            (scale.pointer).update(repeating: 1, count: layout.count)
            for (name, factor) in scaled {
                guard let slot = layout[name] else { preconditionFailure("AdamW: no tensor named \(name)") }
                (scale.pointer + slot.offset).update(repeating: factor, count: slot.count)
            }
            rateScale = scale
        }
    }

    /// One update of `params` from `grads` at learning rate `lr`.
    public func update(params: FloatBuffer, grads: FloatBuffer, lr: Float) {
        step += 1
        let b1 = settings.beta1, b2 = settings.beta2, eps = settings.epsilon, wd = settings.weightDecay
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        let p = params.pointer, g = grads.pointer, mp = m.pointer, vp = v.pointer, mask = decayMask.pointer
        let scale = rateScale?.pointer
        // Elementwise, so any split gives the same bits. The buffer length is a multiple of 16.
        precondition(params.count % 16 == 0)
        Parallel.forEach(count: params.count / 16, minimumPerChunk: 1024) { _, blocks in
            for block in blocks {
                let i = block * 16
                let gi = vload(g + i)
                let mi = b1 * vload(mp + i) + (1 - b1) * gi
                let vi = b2 * vload(vp + i) + (1 - b2) * gi * gi
                vstore(mi, mp + i)
                vstore(vi, vp + i)
                let mhat = mi / c1, vhat = vi / c2
                let pi = vload(p + i)
                let step: Vec = mhat / (vhat.squareRoot() + eps) + wd * vload(mask + i) * pi
                let rate = scale.map { lr * vload($0 + i) } ?? Vec(repeating: lr)
                vstore(pi - rate * step, p + i)
            }
        }
    }
}

/// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: FloatBuffer, maxNorm: Float) -> Float {
    // 16 fixed chunks summed in order: the norm does not depend on the thread count.
    var partial = [Double](repeating: 0, count: 16)
    let g = grads.pointer
    partial.withUnsafeMutableBufferPointer { sums in
        let sums = sums.baseAddress!
        Parallel.forEach(count: grads.count, chunks: 16) { chunk, range in
            var acc: Double = 0
            var lanes = Vec(repeating: 0)
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let x = vload(g + i)
                lanes += x * x
                i += 16
                if (i - range.lowerBound) % 4096 == 0 { acc += Double(lanes.sum()); lanes = Vec(repeating: 0) }
            }
            acc += Double(lanes.sum())
            while i < range.upperBound { acc += Double(g[i]) * Double(g[i]); i += 1 }
            sums[chunk] = acc
        }
    }
    let norm = Float(partial.reduce(0, +).squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        Parallel.forEach(count: grads.count, chunks: 16) { _, range in
            for i in range { g[i] *= coefficient }
        }
    }
    return norm
}
