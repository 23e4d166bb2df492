/// How objects and archives are compressed. The hash never depends on it: it is taken over the
/// uncompressed canonical tar.
public enum Compression: String, CaseIterable, Sendable {
    case gzip
    case zstd

    /// File name extension of an object packed this way.
    public var fileExtension: String {
        switch self {
        case .gzip: return "tar.gz"
        case .zstd: return "tar.zst"
        }
    }
}
