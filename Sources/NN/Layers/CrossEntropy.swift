#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Softmax cross-entropy fused over the vocabulary: mean over rows whose target is not `ignoreIndex`.
public enum CrossEntropy {
    public static let ignoreIndex: Int32 = -100

    /// Returns the mean loss; saves each row's log-sum-exp in `lse` (N) for the backward pass.
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                               lse: UnsafeMutablePointer<Float>, n: Int, v: Int) -> (loss: Float, count: Int) {
        var total: Double = 0
        var count = 0
        for row in 0..<n {
            let x = logits + row * v
            var maxv = -Float.greatestFiniteMagnitude
            for j in 0..<v where x[j] > maxv { maxv = x[j] }
            var sum: Float = 0
            for j in 0..<v { sum += expf(x[j] - maxv) }
            lse[row] = maxv + logf(sum)
            let target = targets[row]
            if target != ignoreIndex {
                total += Double(lse[row] - x[Int(target)])
                count += 1
            }
        }
        return (count == 0 ? 0 : Float(total / Double(count)), count)
    }

    /// Overwrites `logits` (N, V) with d loss / d logits = (softmax - onehot) * dloss / count.
    public static func backward(logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>,
                                lse: UnsafePointer<Float>, n: Int, v: Int, count: Int, dloss: Float = 1) {
        let scale = count == 0 ? 0 : dloss / Float(count)
        for row in 0..<n {
            let x = logits + row * v
            let target = targets[row]
            if target == ignoreIndex {
                x.update(repeating: 0, count: v)
                continue
            }
            let l = lse[row]
            for j in 0..<v { x[j] = expf(x[j] - l) * scale }
            x[Int(target)] -= scale
        }
    }
}
