#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// LayerNorm over the last dimension, saving mean and 1/std for the backward pass.
public enum LayerNorm {
    /// out (N, C) = (inp - mean) * rstd * weight + bias; mean, rstd (N)
    public static func forward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               n: Int, c: Int, epsilon: Float) {
        for row in 0..<n {
            let x = inp + row * c
            var sum: Float = 0
            for i in 0..<c { sum += x[i] }
            let m = sum / Float(c)
            var variance: Float = 0
            for i in 0..<c { let d = x[i] - m; variance += d * d }
            let s = 1 / sqrtf(variance / Float(c) + epsilon)
            let y = out + row * c
            for i in 0..<c { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
            mean[row] = m
            rstd[row] = s
        }
    }

    /// Accumulates dinp (N, C), dweight (C), dbias (C).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, n: Int, c: Int) {
        for row in 0..<n {
            let x = inp + row * c, dy = dout + row * c, dx = dinp + row * c
            let m = mean[row], s = rstd[row]
            var dnormMean: Float = 0, dnormNormMean: Float = 0
            for i in 0..<c {
                let norm = (x[i] - m) * s
                let dnorm = weight[i] * dy[i]
                dnormMean += dnorm
                dnormNormMean += dnorm * norm
            }
            dnormMean /= Float(c)
            dnormNormMean /= Float(c)
            for i in 0..<c {
                let norm = (x[i] - m) * s
                let dnorm = weight[i] * dy[i]
                dbias[i] += dy[i]
                dweight[i] += norm * dy[i]
                dx[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
            }
        }
    }
}
