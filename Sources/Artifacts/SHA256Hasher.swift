import COpenSSL
import Foundation

/// Streaming SHA-256 with hex output; every hash in the store is one of these. OpenSSL's
/// libcrypto does the work (with the CPU's SHA instructions where it has them); its context is a
/// plain C struct, so a copy of a hasher hashes on independently.
public struct SHA256Hasher {
    private var context = SHA256_CTX()
    public private(set) var byteCount: Int64 = 0

    public init() { SHA256_Init(&context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        SHA256_Update(&context, base, bytes.count)
        byteCount += Int64(bytes.count)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    public func finalizeHex() -> String {
        var copy = context, digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        SHA256_Final(&digest, &copy)
        return digest.map { String(format: "%02x", $0) }.joined()
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
