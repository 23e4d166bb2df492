import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An artifact directory as a canonical tar: entries in byte-wise sorted path order, fixed
/// headers, regular files and directories only. Its SHA-256 is the artifact's identity.
public enum CanonicalTar {
    struct Entry {
        let path: String        // relative, "/"-separated
        let isDirectory: Bool
        let size: Int64
        let executable: Bool
    }

    /// The directory's entries in canonical order; links, devices and sockets are refused.
    static func entries(of root: URL) throws -> [Entry] {
        var result: [Entry] = []
        func walk(_ dir: URL, prefix: String) throws {
            for name in FileSystem.children(of: dir) {
                let url = dir.appendingPathComponent(name)
                let rel = prefix.isEmpty ? name : "\(prefix)/\(name)"
                if let reason = unsafePathReason(rel) {
                    throw PipelineError.failed("\(rel): cannot go in an artifact: \(reason)")
                }
                var st = stat()
                guard lstat(url.path, &st) == 0 else { throw PipelineError.failed("cannot stat \(url.path)") }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    result.append(Entry(path: rel, isDirectory: true, size: 0, executable: true))
                    try walk(url, prefix: rel)
                case S_IFREG:
                    result.append(Entry(path: rel, isDirectory: false, size: Int64(st.st_size),
                                        executable: st.st_mode & 0o100 != 0))
                default:
                    throw PipelineError.failed("\(rel): only regular files and directories can go in an artifact (found a link or special file)")
                }
            }
        }
        try walk(root, prefix: "")
        return result.sorted { utf8Less($0.path, $1.path) }
    }

    static func write(_ root: URL, entries: [Entry], to writer: TarWriter) throws {
        for entry in entries {
            if entry.isDirectory {
                try writer.addDirectory(entry.path)
                continue
            }
            try writer.addFile(entry.path, contentsOf: root.appendingPathComponent(entry.path),
                               size: entry.size, executable: entry.executable)
        }
        try writer.finish()
    }

    /// SHA-256 of the directory's canonical tar, without writing it anywhere.
    public static func hash(of root: URL) throws -> String {
        var hasher = SHA256Hasher()
        let writer = try TarWriter { hasher.update($0) }
        try write(root, entries: try entries(of: root), to: writer)
        return hasher.finalizeHex()
    }

    /// Writes the directory's canonical tar, compressed, to `file`.
    public static func pack(_ root: URL, to file: URL, compression: Compression) throws {
        let writer = try TarWriter(path: file.path, compression: compression)
        try write(root, entries: try entries(of: root), to: writer)
    }

    /// SHA-256 and size of the decompressed stream of a packed file.
    public static func hash(ofPacked file: URL) throws -> (hash: String, size: Int64) {
        let reader = try TarReader(path: file.path, raw: true)
        var hasher = SHA256Hasher()
        guard try reader.next() != nil else { throw PipelineError.failed("\(file.path) is empty") }
        try reader.readData { hasher.update($0) }
        return (hasher.finalizeHex(), hasher.byteCount)
    }

    /// Paths and sizes of the regular files in a packed artifact, in archive order.
    public static func listFiles(ofPacked file: URL) throws -> [(path: String, size: Int64)] {
        let reader = try TarReader(path: file.path)
        var files: [(String, Int64)] = []
        while let header = try reader.next() {
            if header.kind == .file { files.append((header.path, header.size)) }
        }
        return files
    }

    /// The content of the regular file at `path` in a packed artifact, or nil when it has none:
    /// read in one streaming pass, with nothing written to disk.
    public static func readFile(ofPacked file: URL, path: String) throws -> Data? {
        try readFiles(ofPacked: file, paths: [path])[path]
    }

    /// The regular files at `paths` that a packed artifact holds, in one streaming pass that stops
    /// once all are found.
    public static func readFiles(ofPacked file: URL, paths: Set<String>) throws -> [String: Data] {
        let reader = try TarReader(path: file.path)
        var found: [String: Data] = [:]
        while found.count < paths.count, let header = try reader.next() {
            guard header.kind == .file, paths.contains(header.path) else { continue }
            var data = Data()
            try reader.readData { data.append(contentsOf: $0) }
            found[header.path] = data
        }
        return found
    }

    /// Extracts a packed artifact into `dir`, refusing any entry that is not a plain file or
    /// directory with a safe relative path.
    public static func extract(_ file: URL, to dir: URL) throws {
        let reader = try TarReader(path: file.path)
        try FileSystem.makeDirectory(dir)
        while let header = try reader.next() {
            if let reason = unsafePathReason(header.path) {
                throw PipelineError.failed("\(file.path): entry '\(header.path)' refused: \(reason)")
            }
            let target = dir.appendingPathComponent(header.path)
            switch header.kind {
            case .directory:
                try FileSystem.makeDirectory(target)
            case .file:
                try FileSystem.makeDirectory(target.deletingLastPathComponent())
                try reader.extractData(to: target)
                if header.mode & 0o100 != 0 { chmod(target.path, 0o755) }
            default:
                throw PipelineError.failed("\(file.path): entry '\(header.path)' refused: only files and directories are allowed")
            }
        }
    }
}
