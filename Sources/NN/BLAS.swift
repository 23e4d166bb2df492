import Foundation
#if canImport(Accelerate)
import Accelerate
#endif

/// The sgemm behind every matrix product.
///
/// On Linux, OpenBLAS is opened at run time rather than linked: OpenBLAS picks its kernels once,
/// when it loads, and Debian's 0.3.21 does not recognise some current CPUs, falling back to its
/// SSE3 "Prescott" kernels (29 GFLOP/s instead of 304 on this project's machine). Opening it
/// ourselves lets us pin OPENBLAS_CORETYPE first: SkylakeX where AVX-512 is present, Haswell
/// where AVX2 is. Pinning also means every machine with the same instructions runs the same
/// kernels, so it computes the same bits. A user's own OPENBLAS_CORETYPE is left alone.
///
/// OpenBLAS splits a large product across its threads, and how it splits changes the bits: with
/// the Haswell kernels a 128 x 128 x 64 product differs between 1, 2 and 4 threads. Its default
/// is one thread per core (or OPENBLAS_NUM_THREADS), which would make artifacts depend on the
/// machine's size, so the count is pinned at `threads` on load, whatever the machine or the
/// environment says.
enum BLAS {
    /// OpenBLAS threads: the reference machine's two cores. More cores go to the Swift kernels.
    static let threads: Int32 = 2

    typealias Sgemm = @convention(c) (UInt32, UInt32, UInt32, Int32, Int32, Int32, Float,
                                      UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
                                      UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetThreads = @convention(c) () -> Int32

    static let rowMajor: UInt32 = 101, noTrans: UInt32 = 111, trans: UInt32 = 112

    struct Library {
        let sgemm: Sgemm
        let setThreads: SetThreads?
        let coreType: String?
        /// OpenBLAS's thread count just after loading (after the pin), for tests.
        let threadsAtLoad: Int?
    }

    static let library: Library = load()

    private static func load() -> Library {
        #if canImport(Accelerate)
        return Library(sgemm: { order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            cblas_sgemm(CBLAS_ORDER(rawValue: order)!, CBLAS_TRANSPOSE(rawValue: ta)!, CBLAS_TRANSPOSE(rawValue: tb)!,
                        m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }, setThreads: nil, coreType: nil, threadsAtLoad: nil)
        #else
        if getenv("OPENBLAS_CORETYPE") == nil, let core = preferredCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 0)
        }
        for name in ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL), let sgemm = dlsym(handle, "cblas_sgemm") else { continue }
            let setThreads = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
            setThreads?(threads)
            let getThreads = dlsym(handle, "openblas_get_num_threads").map { unsafeBitCast($0, to: GetThreads.self) }
            return Library(sgemm: unsafeBitCast(sgemm, to: Sgemm.self), setThreads: setThreads,
                           coreType: getenv("OPENBLAS_CORETYPE").map { String(cString: $0) },
                           threadsAtLoad: getThreads.map { Int($0()) })
        }
        fatalError("OpenBLAS not found (libopenblas.so.0): install it with `make deps` or `apt-get install libopenblas-dev`")
        #endif
    }

    /// SkylakeX for AVX-512 CPUs, Haswell for AVX2 ones, nil otherwise (let OpenBLAS decide).
    static func preferredCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }
}
