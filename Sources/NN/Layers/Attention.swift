#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Causal multi-head self-attention over fused q|k|v rows, one sgemm per (batch, head).
public enum Attention {
    /// out (B, T, C) from qkv (B, T, 3C); saves probs (B, NH, T, T), the softmax before dropout.
    /// `dropMask` (B, NH, T, T), when given, multiplies the probabilities (0 or 1/(1-p)).
    public static func forward(_ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               _ qkv: UnsafePointer<Float>, dropMask: UnsafePointer<Float>?,
                               scratch: UnsafeMutablePointer<Float>, b: Int, t: Int, c: Int, heads nh: Int) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        for bi in 0..<b {
            for h in 0..<nh {
                let q = qkv + bi * t * 3 * c + h * hs
                let k = q + c, v = q + 2 * c
                let p = probs + (bi * nh + h) * t * t
                // scores (T, T) = q k^T * scale
                Matmul.gemm(q, k, p, m: t, n: t, k: hs, transposeB: true, alpha: scale, lda: 3 * c, ldb: 3 * c)
                for i in 0..<t { softmaxRow(p + i * t, length: i + 1, width: t) }
                var weights = UnsafePointer(p)
                if let dropMask {
                    let m = dropMask + (bi * nh + h) * t * t
                    for i in 0..<(t * t) { scratch[i] = p[i] * m[i] }
                    weights = UnsafePointer(scratch)
                }
                // out (T, hs) = weights (T, T) v (T, hs)
                Matmul.gemm(weights, v, out + bi * t * c + h * hs, m: t, n: hs, k: t, ldb: 3 * c, ldc: c)
            }
        }
    }

    /// Accumulates dqkv (B, T, 3C) from dout (B, T, C). `scratch` holds 2 * T * T floats.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                dropMask: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
                                b: Int, t: Int, c: Int, heads nh: Int) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        let dp = scratch, dropped = scratch + t * t
        for bi in 0..<b {
            for h in 0..<nh {
                let q = qkv + bi * t * 3 * c + h * hs
                let k = q + c, v = q + 2 * c
                let dq = dqkv + bi * t * 3 * c + h * hs
                let dk = dq + c, dv = dq + 2 * c
                let p = probs + (bi * nh + h) * t * t
                let dy = dout + bi * t * c + h * hs
                var weights = p
                let mask = dropMask.map { $0 + (bi * nh + h) * t * t }
                if let mask {
                    for i in 0..<(t * t) { dropped[i] = p[i] * mask[i] }
                    weights = UnsafePointer(dropped)
                }
                // dv += weights^T dy ; dweights = dy v^T
                Matmul.gemm(weights, dy, dv, m: t, n: hs, k: t, transposeA: true, beta: 1, lda: t, ldb: c, ldc: 3 * c)
                Matmul.gemm(dy, v, dp, m: t, n: t, k: hs, transposeB: true, lda: c, ldb: 3 * c)
                if let mask { for i in 0..<(t * t) { dp[i] *= mask[i] } }
                // softmax backward, causal rows only: ds = p * (dp - sum(p * dp)), times scale
                for i in 0..<t { softmaxBackwardRow(p + i * t, dr: dp + i * t, length: i + 1, width: t, scale: scale) }
                // dq += ds k ; dk += ds^T q
                Matmul.gemm(dp, k, dq, m: t, n: hs, k: t, beta: 1, lda: t, ldb: 3 * c, ldc: 3 * c)
                Matmul.gemm(dp, q, dk, m: t, n: hs, k: t, transposeA: true, beta: 1, lda: t, ldb: 3 * c, ldc: 3 * c)
            }
        }
    }

    /// row[0..<length] = softmax(row[0..<length]); row[length..<width] = 0.
    @inline(__always) static func softmaxRow(_ row: UnsafeMutablePointer<Float>, length: Int, width: Int) {
        let m = maxElement(row, length)
        let inv = 1 / sumExp(row, length, shift: m, writeTo: row)
        let f = Vec(repeating: inv)
        var j = 0
        while j + 16 <= length { vstore(vload(row + j) * f, row + j); j += 16 }
        while j < length { row[j] *= inv; j += 1 }
        if length < width { (row + length).update(repeating: 0, count: width - length) }
    }

    /// dr[j] = p[j] * (dr[j] - sum(p * dr)) * scale on the causal part of a row, 0 beyond it.
    @inline(__always) static func softmaxBackwardRow(_ pr: UnsafePointer<Float>, dr: UnsafeMutablePointer<Float>,
                                                     length n: Int, width: Int, scale: Float) {
        var acc = Vec(repeating: 0)
        var j = 0
        while j + 16 <= n { acc += vload(pr + j) * vload(dr + j); j += 16 }
        var dot = acc.sum()
        while j < n { dot += pr[j] * dr[j]; j += 1 }
        let d = Vec(repeating: dot)
        j = 0
        while j + 16 <= n { vstore(vload(pr + j) * (vload(dr + j) - d) * scale, dr + j); j += 16 }
        while j < n { dr[j] = pr[j] * (dr[j] - dot) * scale; j += 1 }
        if n < width { (dr + n).update(repeating: 0, count: width - n) }
    }

    /// The obvious triple loop, in Double, for tests: out (B, T, C) from qkv (B, T, 3C).
    public static func reference(_ qkv: [Float], b: Int, t: Int, c: Int, heads nh: Int) -> [Float] {
        let hs = c / nh
        var out = [Float](repeating: 0, count: b * t * c)
        // Element d of head h's query, key or value (part 0, 1, 2) at position (bi, i).
        func x(_ part: Int, _ bi: Int, _ i: Int, _ h: Int, _ d: Int) -> Double {
            let row: Int = (bi * t + i) * 3 * c
            return Double(qkv[row + part * c + h * hs + d])
        }
        for bi in 0..<b {
            for h in 0..<nh {
                for i in 0..<t {
                    var scores = [Double](repeating: 0, count: i + 1)
                    for j in 0...i {
                        var s = 0.0
                        for d in 0..<hs { s += x(0, bi, i, h, d) * x(1, bi, j, h, d) }
                        scores[j] = s / Double(hs).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for d in 0..<hs {
                        var acc = 0.0
                        for j in 0...i { acc += e[j] / z * x(2, bi, j, h, d) }
                        out[(bi * t + i) * c + h * hs + d] = Float(acc)
                    }
                }
            }
        }
        return out
    }
}
