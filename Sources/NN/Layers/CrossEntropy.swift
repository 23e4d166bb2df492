#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Softmax cross-entropy fused over the vocabulary: mean over rows whose target is not `ignoreIndex`.
///
/// The forward pass leaves the softmax numerators exp(z - max) in place of the logits and keeps
/// 1/sum per row, so the backward pass is a multiplication instead of a second exp over the
/// (tokens x vocabulary) matrix, the largest elementwise work of a training step.
public enum CrossEntropy {
    public static let ignoreIndex: Int32 = -100

    /// Returns the mean loss. Overwrites `logits` (N, V) with exp(logit - row max) and writes each
    /// row's 1/sum into `inverseSums` (N).
    public static func forward(logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                               inverseSums: UnsafeMutablePointer<Float>, n: Int, v: Int) -> (loss: Float, count: Int) {
        var rowLoss = [Float](repeating: 0, count: n)
        rowLoss.withUnsafeMutableBufferPointer { losses in
            let losses = losses.baseAddress!
            Parallel.forEach(count: n, minimumPerChunk: 8) { _, rows in
                for row in rows {
                    let x = logits + row * v
                    let m = maxElement(x, v)
                    let target = targets[row]
                    let targetLogit = target == ignoreIndex ? 0 : x[Int(target)]
                    let sum = sumExp(x, v, shift: m, writeTo: x)
                    inverseSums[row] = 1 / sum
                    losses[row] = m + logf(sum) - targetLogit
                }
            }
        }
        // Summed in row order: the same result on any number of threads.
        var total: Double = 0
        var count = 0
        for row in 0..<n where targets[row] != ignoreIndex {
            total += Double(rowLoss[row])
            count += 1
        }
        return (count == 0 ? 0 : Float(total / Double(count)), count)
    }

    /// Turns the numerators left by `forward` into d loss / d logits = (softmax - onehot) * dloss / count.
    public static func backward(logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                                inverseSums: UnsafePointer<Float>, n: Int, v: Int, count: Int, dloss: Float = 1) {
        let scale = count == 0 ? 0 : dloss / Float(count)
        Parallel.forEach(count: n, minimumPerChunk: 8) { _, rows in
            for row in rows {
                let x = logits + row * v
                let target = targets[row]
                if target == ignoreIndex {
                    x.update(repeating: 0, count: v)
                    continue
                }
                let factor = inverseSums[row] * scale
                let f = Vec(repeating: factor)
                var i = 0
                while i + 16 <= v { vstore(vload(x + i) * f, x + i); i += 16 }
                while i < v { x[i] *= factor; i += 1 }
                x[Int(target)] -= scale
            }
        }
    }
}
