import CBF16

/// The precision of the large matrix products (the linear layers and the output head) in
/// training. Everything else (LayerNorm, attention, softmax, losses, AdamW, the weights
/// themselves) stays float32 either way, as in PyTorch's bf16 autocast.
public enum Precision: String, Codable, Sendable, CaseIterable {
    case float32
    /// Inputs rounded to bfloat16 (to nearest even), products accumulated in float32, through
    /// oneDNN's AMX / AVX-512 BF16 kernels: about 2x the float32 sgemm rate where AMX exists.
    case bfloat16

    /// Why this precision cannot run here, or nil.
    public var problem: String? {
        switch self {
        case .float32: return nil
        case .bfloat16: return BFloat16.problem
        }
    }

    /// The precisions this machine can train in (float32 always).
    public static var runnable: [Precision] { allCases.filter { $0.problem == nil } }
}

/// bfloat16 rounding and matrix products.
///
/// Every product is split into fixed blocks of C that depend only on its shape, each run by
/// oneDNN on one thread (see bf16_matmul.h): the same bits with 1 thread or 2.
public enum BFloat16 {
    /// Why bf16 products cannot run on this machine (no oneDNN, or no bf16 kernel), or nil.
    public static var problem: String? { bf16_matmul_problem().map { String(cString: $0) } }

    /// The oneDNN kernel used for an (m x k) x (k x n) product, for logs and benchmarks.
    public static func kernel(m: Int, n: Int, k: Int) -> String {
        String(cString: bf16_matmul_kernel(m, n, k))
    }

    /// Rounds float32 to bfloat16, to nearest even (NaN stays NaN).
    public static func round(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        Parallel.forEach(count: count, minimumPerChunk: 1 << 16) { _, range in
            bf16_round(x + range.lowerBound, y + range.lowerBound, range.count)
        }
    }

    /// The float32 value of a bfloat16.
    @inline(__always) public static func value(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// C (m x n) = op(A) op(B) + beta C with bfloat16 A and B and float32 C; layouts as in
    /// `Matmul.gemm`. beta is 0 or 1.
    public static func gemm(
        _ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false, beta: Float = 0,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        // Blocks of rows where there are enough (each block then writes whole rows of C, which
        // matters when k is small and writing C is most of the cost), else blocks of columns.
        let alongRows = m >= 2 * minimumBlock || m >= n
        let side = alongRows ? m : n
        let blocks = max(1, min(maximumBlocks, side / minimumBlock))
        Parallel.forEach(count: side, chunks: blocks) { _, range in
            let lo = range.lowerBound, width = range.count
            let status: Int32
            if alongRows {
                status = bf16_matmul(transposeA ? 1 : 0, transposeB ? 1 : 0, width, n, k,
                                     a + (transposeA ? lo : lo * lda), lda, b, ldb, c + lo * ldc, ldc, beta)
            } else {
                status = bf16_matmul(transposeA ? 1 : 0, transposeB ? 1 : 0, m, width, k,
                                     a, lda, b + (transposeB ? lo * ldb : lo), ldb, c + lo, ldc, beta)
            }
            precondition(status == 0, "oneDNN bf16 matmul failed (\(m)x\(k) by \(k)x\(n)): \(problem ?? "error")")
        }
    }

    static let maximumBlocks = 8, minimumBlock = 64
}

/// bfloat16 copies of a product's inputs, reused from call to call; each buffer grows to the
/// largest size asked of it. One per model: not for use from two threads at once.
public final class BFloat16Workspace: @unchecked Sendable {
    private var buffers: [(pointer: UnsafeMutablePointer<UInt16>, count: Int)] = []

    public init() {}

    deinit { for buffer in buffers { buffer.pointer.deallocate() } }

    /// `x` rounded to bfloat16 into buffer `slot` (0, 1 or 2).
    public func rounded(_ x: UnsafePointer<Float>, count: Int, slot: Int) -> UnsafePointer<UInt16> {
        while buffers.count <= slot { buffers.append((UnsafeMutablePointer<UInt16>.allocate(capacity: 1), 1)) }
        if buffers[slot].count < count {
            buffers[slot].pointer.deallocate()
            buffers[slot] = (UnsafeMutablePointer<UInt16>.allocate(capacity: count), count)
        }
        BFloat16.round(x, into: buffers[slot].pointer, count: count)
        return UnsafePointer(buffers[slot].pointer)
    }
}
