import CArchive
import Foundation

/// One entry's header as read from a tar stream.
public struct TarEntryHeader: Sendable {
    public enum Kind: Sendable { case file, directory, symlink, hardlink, other }
    public let path: String
    public let kind: Kind
    public let size: Int64
    public let mode: UInt32
}

/// Reads tar streams (compressed or not) through libarchive.
final class TarReader {
    private let archive: OpaquePointer
    let path: String

    /// Opens `path` for reading entries; with `raw`, reads the decompressed stream as one blob.
    init(path: String, raw: Bool = false) throws {
        self.path = path
        archive = archive_read_new()
        archive_read_support_filter_all(archive)
        if raw {
            archive_read_support_format_raw(archive)
        } else {
            archive_read_support_format_tar(archive)
        }
        let status = archive_read_open_filename(archive, path, 1 << 16)
        if status != ARCHIVE_OK {
            // deinit frees the archive: a throwing init of a fully initialised class still runs it.
            let reason = archive_error_string(archive).map { String(cString: $0) } ?? "cannot open"
            throw PipelineError.failed("cannot read \(path): \(reason)")
        }
    }

    deinit { archive_read_free(archive) }

    private func error(_ what: String) -> PipelineError {
        let reason = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error"
        return .failed("\(path): \(what): \(reason)")
    }

    /// The next header, or nil at the end of the archive.
    func next() throws -> TarEntryHeader? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry else { throw error("not a valid tar archive") }
        let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
            ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let kind: TarEntryHeader.Kind
        if archive_entry_hardlink(entry) != nil {
            kind = .hardlink
        } else {
            // libarchive's AE_IF* constants equal the POSIX S_IF* ones.
            switch mode_t(archive_entry_filetype(entry)) {
            case S_IFREG: kind = .file
            case S_IFDIR: kind = .directory
            case S_IFLNK: kind = .symlink
            default: kind = .other
            }
        }
        return TarEntryHeader(path: name, kind: kind, size: archive_entry_size(entry),
                              mode: UInt32(archive_entry_perm(entry)))
    }

    /// Streams the current entry's data to `body` in chunks.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { return }
            guard n > 0 else { throw error("cannot read entry data") }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Copies the current entry's data into a new file at `url`.
    func extractData(to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw PipelineError.failed("cannot create \(url.path)")
        }
        defer { try? handle.close() }
        try readData { try handle.write(contentsOf: Data($0)) }
    }
}

/// Why an entry path cannot be extracted safely, or nil when it can: no absolute paths, no `..`,
/// nothing that could land outside the target directory.
public func unsafePathReason(_ path: String) -> String? {
    if path.isEmpty { return "empty path" }
    if path.hasPrefix("/") { return "absolute path" }
    if path.contains("\0") || path.contains("\\") { return "invalid character in path" }
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    for (n, part) in parts.enumerated() {
        if part == ".." { return "'..' in path" }
        if part == "." || (part.isEmpty && n != parts.count - 1) { return "non-canonical path" }
    }
    return nil
}
