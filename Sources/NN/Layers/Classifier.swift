#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A K-way classification head on a pooled hidden state per sequence, trained with soft targets:
/// loss = -sum_k q_k log softmax(z)_k, averaged over the batch.
public final class Classifier: @unchecked Sendable {
    /// What the head reads of a sequence whose last real token is at position `p`.
    public enum Pooling: String, Sendable, CaseIterable {
        /// The hidden state at `p` (GPT-2's sequence classification, the seed's reward model).
        case last
        /// The mean of the hidden states at 0...p: every token's features reach the head directly,
        /// which learns far better from a few hundred labelled passages.
        case mean
    }

    public let classes: Int
    public let dModel: Int
    public let pooling: Pooling
    /// score.weight (K, C) then score.bias (K), GPT-2 sequence-classification names.
    public let layout: ParameterLayout
    public let params: FloatBuffer
    public let grads: FloatBuffer

    private var pooled: FloatBuffer?   // (B, C) pooled hidden state of each sequence
    private var positions: [Int] = []   // each sequence's last real position
    private var probs: FloatBuffer?     // (B, K)

    public init(classes: Int, dModel: Int, pooling: Pooling = .last, seed: UInt64) {
        self.classes = classes
        self.dModel = dModel
        self.pooling = pooling
        layout = ParameterLayout([("score.weight", [classes, dModel]), ("score.bias", [classes])])
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        var rng = Xoshiro256(seed: seed)
        let w = params.pointer + layout["score.weight"]!.offset
        for i in 0..<(classes * dModel) { w[i] = rng.nextNormal() * 0.02 }
    }

    /// Copies `score.weight` and `score.bias` from a checkpoint.
    public func load(_ file: SafeTensors) throws {
        for slot in layout.slots {
            guard let t = file.tensors[slot.name], t.shape == slot.shape else {
                throw GPT.LoadError.missing("checkpoint", slot.name)
            }
            let values = t.floats
            values.withUnsafeBufferPointer { (params.pointer + slot.offset).update(from: $0.baseAddress!, count: slot.count) }
        }
    }

    /// The head's tensors, for saving next to the body's.
    public var tensors: [String: SafeTensors.Tensor] {
        Dictionary(uniqueKeysWithValues: layout.slots.map {
            ($0.name, SafeTensors.Tensor(floats: Array(UnsafeBufferPointer(start: params.pointer + $0.offset, count: $0.count)), shape: $0.shape))
        })
    }

    var weight: UnsafeMutablePointer<Float> { params.pointer + layout["score.weight"]!.offset }
    var bias: UnsafeMutablePointer<Float> { params.pointer + layout["score.bias"]!.offset }

    /// Class logits (B, K) from `hidden` (B, T, C), row b pooled up to its last real position `positions[b]`.
    public func forward(hidden: UnsafePointer<Float>, positions: [Int], t: Int) -> [Float] {
        let b = positions.count, c = dModel, k = classes
        let pooled = FloatBuffer(count: b * c)
        for (bi, position) in positions.enumerated() {
            precondition((0..<t).contains(position))
            let dst = pooled.pointer + bi * c
            switch pooling {
            case .last:
                dst.update(from: hidden + (bi * t + position) * c, count: c)
            case .mean:
                // Summed in position order, then scaled: the same bits however the batch is padded.
                dst.update(from: hidden + bi * t * c, count: c)
                for p in 1..<(position + 1) { add(dst, hidden + (bi * t + p) * c, c) }
                scale(dst, 1 / Float(position + 1), c)
            }
        }
        self.pooled = pooled
        self.positions = positions
        var logits = [Float](repeating: 0, count: b * k)
        logits.withUnsafeMutableBufferPointer {
            Linear.forward($0.baseAddress!, pooled.pointer, weight, bias, n: b, inFeatures: c, outFeatures: k)
        }
        return logits
    }

    /// Class logits (B, T, K) of every prefix of every row of `hidden` (B, T, C): position p is
    /// pooled as `forward` pools a sequence whose last real token is at p. Inference only (no
    /// backward); what PPO's prefix baseline reads.
    public func prefixForward(hidden: UnsafePointer<Float>, b: Int, t: Int) -> [Float] {
        let c = dModel, k = classes
        let pooled = FloatBuffer(count: b * t * c)
        let running = FloatBuffer(count: c)
        for bi in 0..<b {
            for p in 0..<t {
                let src = hidden + (bi * t + p) * c, dst = pooled.pointer + (bi * t + p) * c
                switch pooling {
                case .last:
                    dst.update(from: src, count: c)
                case .mean:
                    if p == 0 { running.pointer.update(from: src, count: c) } else { add(running.pointer, src, c) }
                    dst.update(from: running.pointer, count: c)
                    scale(dst, 1 / Float(p + 1), c)
                }
            }
        }
        var logits = [Float](repeating: 0, count: b * t * k)
        logits.withUnsafeMutableBufferPointer {
            Linear.forward($0.baseAddress!, pooled.pointer, weight, bias, n: b * t, inFeatures: c, outFeatures: k)
        }
        return logits
    }

    /// Mean soft-target cross-entropy of `logits` (B, K) against `targets` (B, K, rows summing to 1);
    /// keeps the softmax for `backward`.
    public func loss(logits: [Float], targets: [Float]) -> Float {
        let k = classes, b = logits.count / k
        let probs = FloatBuffer(count: b * k)
        var total: Double = 0
        for row in 0..<b {
            let z = Array(logits[(row * k)..<(row * k + k)])
            let m = z.max()!
            let lse = m + logf(z.reduce(0) { $0 + expf($1 - m) })
            for j in 0..<k {
                probs[row * k + j] = expf(z[j] - lse)
                total -= Double(targets[row * k + j]) * Double(z[j] - lse)
            }
        }
        self.probs = probs
        return Float(total / Double(b))
    }

    /// Accumulates the head's gradients and writes d loss / d hidden into `dhidden` (B, T, C),
    /// which must be zeroed by the caller (only the pooled positions receive gradient).
    public func backward(targets: [Float], dhidden: UnsafeMutablePointer<Float>, t: Int) {
        guard let probs, let pooled else { preconditionFailure("backward before loss") }
        let k = classes, c = dModel, b = positions.count
        var dlogits = [Float](repeating: 0, count: b * k)
        for i in 0..<(b * k) { dlogits[i] = (probs[i] - targets[i]) / Float(b) }
        let dpooled = FloatBuffer(count: b * c)
        dlogits.withUnsafeBufferPointer { d in
            Linear.backward(dinp: dpooled.pointer, dweight: grads.pointer + layout["score.weight"]!.offset,
                            dbias: grads.pointer + layout["score.bias"]!.offset, dout: d.baseAddress!,
                            inp: pooled.pointer, weight: weight, n: b, inFeatures: c, outFeatures: k)
        }
        for (bi, position) in positions.enumerated() {
            let src = dpooled.pointer + bi * c
            switch pooling {
            case .last:
                add(dhidden + (bi * t + position) * c, src, c)
            case .mean:
                scale(src, 1 / Float(position + 1), c)
                for p in 0...position { add(dhidden + (bi * t + p) * c, src, c) }
            }
        }
    }
}

extension GPT {
    /// d loss / d hidden states (B, T, C) for heads outside the model; `backwardHidden` reads it.
    public var hiddenGradient: FloatBuffer { acts!.dhidden }
}
