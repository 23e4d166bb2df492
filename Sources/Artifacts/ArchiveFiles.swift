import Foundation

/// Reading regular files out of an archive (a `.tar.gz` such as a PyPI sdist) through libarchive,
/// for stages whose input is an archive.
public enum ArchiveFiles {
    /// The files whose path satisfies `include`, with their bytes, in byte-wise path order.
    public static func read(_ archive: URL, include: (String) -> Bool) throws -> [(path: String, data: Data)] {
        let reader = try TarReader(path: archive.path)
        var files: [(String, Data)] = []
        while let header = try reader.next() {
            guard header.kind == .file, include(header.path) else { continue }
            var data = Data()
            data.reserveCapacity(Int(header.size))
            try reader.readData { data.append(contentsOf: $0) }
            files.append((header.path, data))
        }
        return files.sorted { utf8Less($0.0, $1.0) }
    }
}
