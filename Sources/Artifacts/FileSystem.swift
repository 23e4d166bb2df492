import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small, durable file-system operations: atomic replacement, fsync, tree removal.
public enum FileSystem {
    static var fm: FileManager { FileManager.default }

    public static func exists(_ url: URL) -> Bool { fm.fileExists(atPath: url.path) }

    public static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return fm.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    public static func makeDirectory(_ url: URL) throws {
        try fm.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public static func remove(_ url: URL) {
        try? fm.removeItem(at: url)
    }

    /// Flushes a file (or directory) to disk.
    public static func fsync(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = Glibc_fsync(fd)
        close(fd)
    }

    /// Writes `data` to a sibling temp file, flushes it, renames it over `url` and flushes the
    /// directory: readers see the old file or the new one, never a torn one.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try makeDirectory(dir)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard fm.createFile(atPath: tmp.path, contents: data) else {
            throw PipelineError.failed("cannot write \(tmp.path)")
        }
        fsync(tmp)
        try rename(tmp, to: url)
    }

    /// rename(2) and flush the destination directory.
    public static func rename(_ from: URL, to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw PipelineError.failed("cannot move \(from.path) to \(to.path): \(reason)")
        }
        fsync(to.deletingLastPathComponent())
    }

    public static func children(of url: URL) -> [String] {
        ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).sorted(by: utf8Less)
    }

    /// Total size in bytes of the files under `url` (or of `url` itself).
    public static func size(of url: URL) -> Int64 {
        var st = stat()
        guard lstat(url.path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) != S_IFDIR { return Int64(st.st_size) }
        return children(of: url).reduce(0) { $0 + size(of: url.appendingPathComponent($1)) }
    }

    /// A fresh, empty directory under the system temp folder.
    public static func makeTemporaryDirectory(prefix: String) throws -> URL {
        let url = fm.temporaryDirectory.appendingPathComponent("\(prefix)-\(getpid())-\(UUID().uuidString)")
        try makeDirectory(url)
        return url
    }
}

#if canImport(Glibc)
private func Glibc_fsync(_ fd: Int32) -> Int32 { Glibc.fsync(fd) }
#else
private func Glibc_fsync(_ fd: Int32) -> Int32 { Darwin.fsync(fd) }
#endif

/// Human-readable byte counts: 512 B, 1.5 KiB, 3.2 MiB.
public func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
}
