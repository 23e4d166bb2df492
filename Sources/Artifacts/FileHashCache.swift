import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of input files, remembered by (path, size, mtime, ctime, inode) so an unchanged input is not
/// re-read on every run. Stored in `cache/file-hashes.json`; losing it only costs time.
public final class FileHashCache: @unchecked Sendable {
    private let url: URL
    private var entries: [String: JSON] = [:]
    private var dirty = false
    private let lock = NSLock()

    public init(url: URL) {
        self.url = url
        if let data = FileManager.default.contents(atPath: url.path), let json = try? JSON.parse(data),
           let members = json.objectMembers {
            entries = Dictionary(members, uniquingKeysWith: { $1 })
        }
    }

    /// The file's SHA-256, from the cache when its identity is unchanged.
    public func hash(of file: URL) throws -> String {
        var st = stat()
        guard stat(file.path, &st) == 0 else { throw PipelineError.failed("cannot read \(file.path)") }
        let identity = "\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec):\(st.st_ino)"
        let path = file.standardizedFileURL.path
        lock.lock()
        let cached = entries[path]
        lock.unlock()
        if let cached, cached["id"]?.stringValue == identity, let sha = cached["sha256"]?.stringValue {
            return sha
        }
        let sha = try SHA256Hasher.hex(fileAt: file)
        // A file changed within the last two seconds could change again without its mtime
        // moving (coarse clocks): do not remember it yet.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        if now.tv_sec - max(st.st_mtim.tv_sec, st.st_ctim.tv_sec) < 2 { return sha }
        lock.lock()
        entries[path] = .object([("id", .string(identity)), ("sha256", .string(sha))])
        dirty = true
        lock.unlock()
        return sha
    }

    /// Writes the cache if it changed (atomically; concurrent writers can only lose entries).
    public func save() {
        lock.lock(); defer { lock.unlock() }
        guard dirty else { return }
        try? FileSystem.writeAtomically(Data(JSON.object(entries.map { ($0.key, $0.value) }).canonical.utf8), to: url)
        dirty = false
    }
}
