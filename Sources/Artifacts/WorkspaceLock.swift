import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (flock) on `artifacts/.lock`, held by every command that writes the
/// store. The kernel drops it when the process dies, so a killed run never blocks the next one.
public final class WorkspaceLock {
    private let fd: Int32

    /// Takes the lock, calling `onWait` first if another process holds it.
    public init(_ url: URL, onWait: (String) -> Void) throws {
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.failed("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var holder = ""
            if let text = try? String(contentsOf: url, encoding: .utf8), let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                holder = " (pid \(pid))"
            }
            onWait("waiting for another pipeline command\(holder) to finish with this workspace...")
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else { throw PipelineError.failed("cannot lock \(url.path)") }
            }
        }
        let pid = Data("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
