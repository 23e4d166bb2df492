#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// LayerNorm over the last dimension, saving mean and 1/std for the backward pass.
/// Rows run in parallel; the weight and bias gradients are summed per fixed chunk of rows and
/// the chunks combined in order, so results do not depend on the thread count.
public enum LayerNorm {
    /// Sum of x[0..<c] in SIMD lanes, then the tail.
    @inline(__always) static func sum(_ x: UnsafePointer<Float>, _ c: Int, _ f: (Vec) -> Vec, _ g: (Float) -> Float) -> Float {
        var acc = Vec(repeating: 0)
        var i = 0
        while i + 16 <= c { acc += f(vload(x + i)); i += 16 }
        var total = acc.sum()
        while i < c { total += g(x[i]); i += 1 }
        return total
    }

    /// out (N, C) = (inp - mean) * rstd * weight + bias; mean, rstd (N)
    public static func forward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               n: Int, c: Int, epsilon: Float) {
        Parallel.forEach(count: n, minimumPerChunk: 16) { _, rows in
            for row in rows {
                let x = inp + row * c
                let m = sum(x, c, { $0 }, { $0 }) / Float(c)
                let mv = Vec(repeating: m)
                let variance = sum(x, c, { ($0 - mv) * ($0 - mv) }, { ($0 - m) * ($0 - m) }) / Float(c)
                let s = 1 / sqrtf(variance + epsilon)
                let y = out + row * c
                var i = 0
                while i + 16 <= c {
                    vstore((vload(x + i) - mv) * s * vload(weight + i) + vload(bias + i), y + i)
                    i += 16
                }
                while i < c { y[i] = (x[i] - m) * s * weight[i] + bias[i]; i += 1 }
                mean[row] = m
                rstd[row] = s
            }
        }
    }

    /// Accumulates dinp (N, C), dweight (C), dbias (C).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, n: Int, c: Int) {
        let chunks = 16
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * 2 * c)
        partial.initialize(repeating: 0, count: chunks * 2 * c)
        defer { partial.deallocate() }
        Parallel.forEach(count: n, chunks: chunks) { chunk, rows in
            let dw = partial + chunk * 2 * c, db = dw + c
            for row in rows {
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
                    db[i] += dy[i]
                    dw[i] += norm * dy[i]
                    dx[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
                }
            }
        }
        for chunk in 0..<chunks {
            let dw = partial + chunk * 2 * c, db = dw + c
            for i in 0..<c {
                dweight[i] += dw[i]
                dbias[i] += db[i]
            }
        }
    }
}
