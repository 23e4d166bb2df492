/// y = x W^T + b, with W stored (out, in) as torch.nn.Linear does.
///
/// With a `bf16` workspace the products round their inputs to bfloat16 and accumulate in float32
/// (see BFloat16.swift); without one they are float32 sgemm.
public enum Linear {
    /// out (N, OC) = inp (N, IC) * weight (OC, IC)^T + bias (OC)
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               n: Int, inFeatures ic: Int, outFeatures oc: Int, bf16: BFloat16Workspace? = nil) {
        if let bias {
            for row in 0..<n { (out + row * oc).update(from: bias, count: oc) }
        }
        let beta: Float = bias == nil ? 0 : 1
        if let bf16 {
            BFloat16.gemm(bf16.rounded(inp, count: n * ic, slot: 0), bf16.rounded(weight, count: oc * ic, slot: 1), out,
                          m: n, n: oc, k: ic, transposeB: true, beta: beta)
        } else {
            Matmul.gemm(inp, weight, out, m: n, n: oc, k: ic, transposeB: true, beta: beta)
        }
    }

    /// Accumulates dinp (N, IC) += dout W, dweight (OC, IC) += dout^T inp, dbias (OC) += sum_rows dout.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                n: Int, inFeatures ic: Int, outFeatures oc: Int, bf16: BFloat16Workspace? = nil) {
        if let bf16 {
            let dout16 = bf16.rounded(dout, count: n * oc, slot: 0)
            if let dinp {
                BFloat16.gemm(dout16, bf16.rounded(weight, count: oc * ic, slot: 1), dinp, m: n, n: ic, k: oc, beta: 1)
            }
            BFloat16.gemm(dout16, bf16.rounded(inp, count: n * ic, slot: 2), dweight, m: oc, n: ic, k: n, transposeA: true, beta: 1)
        } else {
            if let dinp {
                Matmul.gemm(dout, weight, dinp, m: n, n: ic, k: oc, beta: 1)
            }
            Matmul.gemm(dout, inp, dweight, m: oc, n: ic, k: n, transposeA: true, beta: 1)
        }
        if let dbias {
            // Each chunk owns a band of columns and sums the rows in order: thread-independent.
            Parallel.forEach(count: (oc + 15) / 16, minimumPerChunk: 4) { _, blocks in
                for block in blocks {
                    let j = block * 16
                    if j + 16 <= oc {
                        var acc = vload(dbias + j)
                        for row in 0..<n { acc += vload(dout + row * oc + j) }
                        vstore(acc, dbias + j)
                    } else {
                        for jj in j..<oc {
                            var acc = dbias[jj]
                            for row in 0..<n { acc += dout[row * oc + jj] }
                            dbias[jj] = acc
                        }
                    }
                }
            }
        }
    }
}
