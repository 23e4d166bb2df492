import NN
import Testing

/// bfloat16 products need oneDNN (libdnnl, installed by `make deps`) and a CPU with AVX-512 BF16
/// or AMX. On a CPU without them the products cannot run and those tests are skipped; rounding
/// and the library's presence are checked everywhere.
/// Runs a test only where the products can run.
let bf16Kernel = ConditionTrait.enabled(if: Precision.bfloat16.problem == nil, "no bf16 matmul kernel for this CPU")

@Suite("bfloat16 products", .serialized)
struct BFloat16Tests {
    func rounded(_ x: [Float]) -> [UInt16] {
        var y = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { BFloat16.round($0.baseAddress!, into: &y, count: x.count) }
        return y
    }

    @Test("oneDNN is installed; where it has a bf16 kernel for this CPU it is not the reference loop, elsewhere bfloat16 says why")
    func available() {
        if let problem = Precision.bfloat16.problem {
            #expect(problem == "oneDNN has no bf16 matmul for this CPU (it needs AVX-512 BF16 or AMX)"
                        || problem.hasPrefix("oneDNN's bf16 matmul on this CPU is its reference kernel"), "\(problem)")
            #expect(Precision.runnable == [.float32])
        } else {
            #expect(!BFloat16.kernel(m: 64, n: 64, k: 64).hasPrefix("ref"))
            #expect(Precision.runnable == [.float32, .bfloat16])
        }
    }

    @Test("rounding is to nearest, ties to even, and keeps infinities, NaN and signed zero")
    func rounding() {
        let one: Float = 1
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (0, 0x0000), (-0.0, 0x8000),
            (one + 0x1p-8, 0x3F80),              // halfway, the even neighbour is 1
            (one + 0x3p-8, 0x3F82),              // halfway, the even neighbour is above
            (one + 0x1p-8 + 0x1p-20, 0x3F81),    // just over halfway
            (Float.infinity, 0x7F80), (-Float.infinity, 0xFF80),
            (Float.greatestFiniteMagnitude, 0x7F80),   // rounds up past the largest bf16
            (Float.nan, 0x7FC0), (Float(bitPattern: 0x7FFF_FFFF), 0x7FC0),
        ]
        // Long enough that the vector loop and the tail both run.
        let input = Array(repeating: cases.map(\.0), count: 3).flatMap { $0 }
        let output = rounded(input)
        for (i, (x, expected)) in zip(input, Array(repeating: cases.map(\.1), count: 3).flatMap { $0 }).enumerated() {
            #expect(output[i] == expected, "\(x): \(String(output[i], radix: 16)) instead of \(String(expected, radix: 16))")
        }
        #expect(BFloat16.value(0x3F82) == 1.015625)
    }

    @Test("products equal float32 products of the rounded inputs, for every transpose and with beta 1",
          bf16Kernel, arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesReference(transposeA: Bool, transposeB: Bool) {
        // Large enough to be split into blocks, with ragged edges.
        let m = 300, n = 70, k = 131
        let a = lcgValues(m * k, seed: 1), b = lcgValues(k * n, seed: 2)
        let a16 = rounded(a), b16 = rounded(b)
        let expected = Matmul.reference(a16.map(BFloat16.value), b16.map(BFloat16.value), m: m, n: n, k: k,
                                        transposeA: transposeA, transposeB: transposeB)
        var c = [Float](repeating: 0, count: m * n)
        BFloat16.gemm(a16, b16, &c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        var worst: Float = 0
        for (x, y) in zip(c, expected) { worst = max(worst, abs(x - y)) }
        #expect(worst <= 1e-4, "largest difference \(worst)")

        // beta 1 adds to what C holds (in whatever order the kernel sums, so to within rounding);
        // the float32 product of the unrounded inputs is close.
        var accumulated = [Float](repeating: 1, count: m * n)
        BFloat16.gemm(a16, b16, &accumulated, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, beta: 1)
        #expect(zip(accumulated, c).allSatisfy { abs($0 - ($1 + 1)) <= 1e-5 })
        let exact = Matmul.reference(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        let error = zip(c, exact).map { abs($0 - $1) }.max()!
        #expect(error > 0 && error < 0.1, "bf16 rounding error \(error)")
    }

    @Test("a product gives the same bits with 1 or 2 threads (oneDNN alone splits the k sum with 2)", bf16Kernel)
    func threadIndependent() {
        // The weight-gradient shape: a long k (batch rows) and a small C.
        let m = 768, n = 256, k = 4096
        let a16 = rounded(lcgValues(m * k, seed: 3)), b16 = rounded(lcgValues(k * n, seed: 4))
        func product(threads: Int) -> [Float] {
            Matmul.setThreadCount(threads)
            var c = [Float](repeating: 0, count: m * n)
            BFloat16.gemm(a16, b16, &c, m: m, n: n, k: k, transposeA: true)
            return c
        }
        let one = product(threads: 1), two = product(threads: 2)
        Matmul.setThreadCount(2)
        #expect(one == two)
    }
}
