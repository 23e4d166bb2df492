import Crypto
import Foundation

/// Streaming SHA-256 with hex output; every hash in the store is one of these.
public struct SHA256Hasher {
    private var inner = SHA256()
    public private(set) var byteCount: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bytes)
        byteCount += Int64(bytes.count)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    public func finalizeHex() -> String {
        inner.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ data: Data) -> String {
        var h = SHA256Hasher()
        h.update(data)
        return h.finalizeHex()
    }

    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }

    /// Hash of a file's bytes, read in 1 MiB chunks.
    public static func hex(fileAt url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw PipelineError.failed("cannot read \(url.path)")
        }
        defer { try? handle.close() }
        var h = SHA256Hasher()
        while true {
            guard let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty else { break }
            h.update(chunk)
        }
        return h.finalizeHex()
    }
}

/// True for a lowercase 64-digit hex string.
public func isSHA256Hex(_ s: String) -> Bool {
    s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}
