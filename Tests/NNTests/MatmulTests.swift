import NN
import Testing

@Suite("BLAS bridge")
struct MatmulTests {
    @Test("sgemm matches the reference for every transpose combination",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesReference(transposeA: Bool, transposeB: Bool) {
        let m = 7, n = 5, k = 11
        let a = lcgValues(m * k, seed: 1), b = lcgValues(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        Matmul.gemm(a, b, &c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        let expected = Matmul.reference(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        for (x, y) in zip(c, expected) {
            #expect(abs(x - y) <= 1e-5 * max(1, abs(y)))
        }
    }

    @Test("beta accumulates into C")
    func accumulate() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]   // (2x2) * I
        var c: [Float] = [10, 20, 30, 40]
        Matmul.gemm(a, b, &c, m: 2, n: 2, k: 2, beta: 1)
        #expect(c == [11, 22, 33, 44])
    }
}
