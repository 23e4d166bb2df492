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

    @Test("OpenBLAS starts on its pinned 2 threads, whatever OPENBLAS_NUM_THREADS says (make test sets it to 1)")
    func pinnedThreads() {
        #expect(Matmul.blasThreadsAtLoad.map { $0 == 2 } ?? true)
    }

    @Test("a model's matrix-product FLOPs per position: the four block products, attention over t, the head")
    func flopCounts() {
        let config = GPTConfig(vocabSize: 10, contextLength: 8, dModel: 4, nHeads: 2, nLayers: 2, dFF: 8)
        // 2 layers x 2 x (qkv 3*16 + proj 16 + mlp 2*32) = 512; attention 2 layers x (q k^T + p v) 2 x 2 x 3 x 4 = 96.
        #expect(config.bodyFLOPsPerPosition(t: 3) == 608)
        #expect(config.headFLOPsPerPosition == 80)
    }
}
