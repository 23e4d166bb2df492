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

    public init(layout: ParameterLayout, settings: Settings) {
        self.settings = settings
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
        decayMask = FloatBuffer(count: layout.count)
        for slot in layout.slots where slot.isMatrix {
            (decayMask.pointer + slot.offset).update(repeating: 1, count: slot.count)
        }
    }

    /// One update of `params` from `grads` at learning rate `lr`.
    public func update(params: FloatBuffer, grads: FloatBuffer, lr: Float) {
        step += 1
        let b1 = settings.beta1, b2 = settings.beta2, eps = settings.epsilon, wd = settings.weightDecay
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        let p = params.pointer, g = grads.pointer, mp = m.pointer, vp = v.pointer, mask = decayMask.pointer
        for i in 0..<params.count {
            let gi = g[i]
            let mi = b1 * mp[i] + (1 - b1) * gi
            let vi = b2 * vp[i] + (1 - b2) * gi * gi
            mp[i] = mi
            vp[i] = vi
            let mhat = mi / c1, vhat = vi / c2
            p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * mask[i] * p[i])
        }
    }
}

/// Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: FloatBuffer, maxNorm: Float) -> Float {
    var sum: Double = 0
    for i in 0..<grads.count { sum += Double(grads[i]) * Double(grads[i]) }
    let norm = Float(sum.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for i in 0..<grads.count { grads[i] *= coefficient }
    }
    return norm
}
