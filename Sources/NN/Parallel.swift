import Dispatch
import Foundation

/// Splits work into a fixed number of chunks, whatever the number of threads, so every result
/// (including sums, which are combined in chunk order) is the same with 1 thread or 16.
enum Parallel {
    /// Threads used for the Swift kernels (BLAS has its own pool).
    nonisolated(unsafe) static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body(chunk, range)` for `chunks` contiguous pieces of 0..<count, concurrently.
    static func forEach(count: Int, chunks requested: Int = 16, minimumPerChunk: Int = 1,
                        _ body: (Int, Range<Int>) -> Void) {
        let chunks = max(1, min(requested, count / max(minimumPerChunk, 1)))
        let per = (count + chunks - 1) / chunks
        func run(_ chunk: Int) {
            let start = chunk * per
            if start < count { body(chunk, start..<min(count, start + per)) }
        }
        if threads <= 1 || chunks == 1 {
            for chunk in 0..<chunks { run(chunk) }
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
        }
    }
}
