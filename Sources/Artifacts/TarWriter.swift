import CArchive
import Foundation

/// Writes a tar stream through libarchive with every header field fixed (mtime 0, uid/gid 0,
/// no owner names, normalised modes), so the same entries always give the same bytes.
final class TarWriter {
    private let archive: OpaquePointer
    private var sink: ((UnsafeRawBufferPointer) -> Void)?

    /// A writer whose uncompressed bytes go to `sink` (used for hashing).
    init(sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        archive = archive_write_new()
        self.sink = sink
        try configure(compression: nil)
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        let status = archive_write_open(archive, opaque, nil, { _, client, buffer, length in
            let writer = Unmanaged<TarWriter>.fromOpaque(client!).takeUnretainedValue()
            writer.sink?(UnsafeRawBufferPointer(start: buffer, count: length))
            return la_ssize_t(length)
        }, nil)
        try check(status, "open tar stream")
    }

    /// A writer that compresses into the file at `path`.
    init(path: String, compression: Compression) throws {
        archive = archive_write_new()
        try configure(compression: compression)
        try check(archive_write_open_filename(archive, path), "create \(path)")
    }

    deinit { archive_write_free(archive) }

    private func configure(compression: Compression?) throws {
        try check(archive_write_set_format_pax_restricted(archive), "select tar format")
        switch compression {
        case .gzip?:
            try check(archive_write_add_filter_gzip(archive), "enable gzip")
            // No timestamp in the gzip header, so the same store gives the same bytes.
            try check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), "set gzip options")
        case .zstd?:
            try check(archive_write_add_filter_zstd(archive), "enable zstd")
        case nil:
            try check(archive_write_add_filter_none(archive), "select no compression")
        }
        // No padding beyond the tar end marker: the hashed stream and the decompressed object agree.
        archive_write_set_bytes_per_block(archive, 10240)
        archive_write_set_bytes_in_last_block(archive, 1)
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status >= ARCHIVE_WARN else {
            let reason = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(status)"
            throw PipelineError.failed("cannot \(what): \(reason)")
        }
    }

    func addDirectory(_ path: String) throws {
        try writeHeader(path: path.hasSuffix("/") ? path : path + "/", type: S_IFDIR, mode: 0o755, size: 0)
    }

    /// Adds a regular file whose bytes come from `contents` in chunks (streamed, so large model files
    /// are never held in memory whole).
    func addFile(_ path: String, size: Int64, executable: Bool, contents: (inout [UInt8]) throws -> Int) throws {
        try writeHeader(path: path, type: S_IFREG, mode: executable ? 0o755 : 0o644, size: size)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var written: Int64 = 0
        while written < size {
            let n = try contents(&buffer)
            if n == 0 { break }
            let status = buffer.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, n) }
            guard status >= 0 else { try check(Int32(status), "write \(path)"); return }
            written += Int64(n)
        }
        guard written == size else { throw PipelineError.failed("\(path) changed size while being packed") }
    }

    /// Adds the file at `url`, which must be `size` bytes long.
    func addFile(_ path: String, contentsOf url: URL, size: Int64, executable: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw PipelineError.failed("cannot read \(url.path)")
        }
        defer { try? handle.close() }
        try addFile(path, size: size, executable: executable) { buffer in
            let chunk = try handle.read(upToCount: buffer.count) ?? Data()
            _ = buffer.withUnsafeMutableBytes { chunk.copyBytes(to: $0) }
            return chunk.count
        }
    }

    func addFile(_ path: String, data: Data) throws {
        var offset = 0
        try addFile(path, size: Int64(data.count), executable: false) { buffer in
            let n = min(buffer.count, data.count - offset)
            buffer.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: offset..<offset + n)
            }
            offset += n
            return n
        }
    }

    private func writeHeader(path: String, type: mode_t, mode: mode_t, size: Int64) throws {
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, path)
        archive_entry_set_filetype(entry, UInt32(type))   // AE_IF* == S_IF*
        archive_entry_set_perm(entry, mode)
        archive_entry_set_size(entry, size)
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        try check(archive_write_header(archive, entry), "write header of \(path)")
    }

    func finish() throws {
        try check(archive_write_close(archive), "finish tar stream")
    }
}
