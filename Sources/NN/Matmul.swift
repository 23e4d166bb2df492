import Dispatch

/// Matrix products through sgemm (see BLAS.swift), row-major.
public enum Matmul {
    /// C (m x n) = alpha * op(A) * op(B) + beta * C, where op transposes when asked.
    /// A is (m x k), or (k x m) when `transposeA`; B is (k x n), or (n x k) when `transposeB`.
    /// Leading dimensions default to dense rows; pass them to address strided sub-matrices
    /// (one head's slice of the fused q|k|v rows, say).
    public static func gemm(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        BLAS.library.sgemm(BLAS.rowMajor,
                    transposeA ? BLAS.trans : BLAS.noTrans,
                    transposeB ? BLAS.trans : BLAS.noTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda ?? (transposeA ? m : k)),
                    b, Int32(ldb ?? (transposeB ? k : n)),
                    beta, c, Int32(ldc ?? n))
    }

    /// Threads for OpenBLAS and for the Swift kernels, for benchmarks and tests. The Swift kernels
    /// give the same bits for any count; OpenBLAS's large products do not (see BLAS.swift), so
    /// anything that writes an artifact keeps OpenBLAS at its pinned count.
    public static func setThreadCount(_ n: Int) {
        BLAS.library.setThreads?(Int32(n))
        Parallel.threads = max(1, n)
    }

    /// OpenBLAS's thread count when it was loaded: its pinned count, whatever the machine (nil
    /// without OpenBLAS).
    public static var blasThreadsAtLoad: Int? { BLAS.library.threadsAtLoad }

    /// The OpenBLAS kernel family in use (OPENBLAS_CORETYPE), for logs and benchmarks.
    public static var coreType: String? { BLAS.library.coreType }

    /// The slow, obvious version the tests compare against.
    public static func reference(
        _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false
    ) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }
}

extension Matmul {
    /// The best GFLOP/s of five timed runs of `product`, which does `flops` FLOPs, after a warm-up run.
    public static func bestRate(flops: Double, _ product: () -> Void) -> Double {
        product()
        var best = 0.0
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            product()
            best = max(best, flops / Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return best
    }

    /// This machine's float32 rate on a large square product (2048^3), the most any product
    /// reaches here: for benchmarks, as the ceiling of what matrix products can do.
    public static func peakRate() -> Double {
        let n = 2048
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        return bestRate(flops: 2 * Double(n * n * n)) { gemm(a.pointer, b.pointer, c.pointer, m: n, n: n, k: n) }
    }
}
