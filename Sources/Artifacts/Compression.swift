/// How objects and archives are compressed. The hash never depends on it: it is taken over the
/// uncompressed canonical tar. zstd is the default: on model weights it compresses as well as
/// gzip at about ten times the speed.
public enum Compression: String, CaseIterable, Sendable {
    case gzip
    case zstd

    /// gzip for names ending in .gz or .tgz, zstd otherwise.
    public static func forArchive(named name: String) -> Compression {
        name.hasSuffix(".gz") || name.hasSuffix(".tgz") ? .gzip : .zstd
    }

    /// File name extension of an object packed this way.
    public var fileExtension: String {
        switch self {
        case .gzip: return "tar.gz"
        case .zstd: return "tar.zst"
        }
    }
}
