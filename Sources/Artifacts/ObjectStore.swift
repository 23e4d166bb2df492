import Foundation

/// Content-addressed objects: `objects/<2 hex>/<64 hex>.tar.<ext>`, named by the SHA-256 of the
/// uncompressed canonical tar and verified whenever they are read.
public struct ObjectStore: Sendable {
    public let root: URL
    public let compression: Compression

    public init(root: URL, compression: Compression = .zstd) {
        self.root = root
        self.compression = compression
    }

    public var objectsDirectory: URL { root.appendingPathComponent("objects") }
    public var tmpDirectory: URL { root.appendingPathComponent("tmp") }

    /// Where an object would live with the given compression.
    public func location(of hash: String, compression: Compression) -> URL {
        objectsDirectory.appendingPathComponent(String(hash.prefix(2)))
            .appendingPathComponent("\(hash).\(compression.fileExtension)")
    }

    /// The file holding `hash`, whatever its compression, or nil.
    public func file(for hash: String) -> URL? {
        for c in [compression] + Compression.allCases.filter({ $0 != compression }) {
            let url = location(of: hash, compression: c)
            if FileSystem.exists(url) { return url }
        }
        return nil
    }

    public func contains(_ hash: String) -> Bool { file(for: hash) != nil }

    /// Packs `directory` and stores it; returns its hash. Nothing is written when an object with the
    /// same hash is already present. The object appears by an atomic rename, after an fsync.
    @discardableResult
    public func add(directory: URL) throws -> String {
        let hash = try CanonicalTar.hash(of: directory)
        if contains(hash) { return hash }
        try FileSystem.makeDirectory(tmpDirectory)
        let tmp = tmpDirectory.appendingPathComponent("object-\(UUID().uuidString).\(compression.fileExtension)")
        defer { FileSystem.remove(tmp) }
        try CanonicalTar.pack(directory, to: tmp, compression: compression)
        let (packedHash, _) = try CanonicalTar.hash(ofPacked: tmp)
        guard packedHash == hash else {
            throw PipelineError.failed("the output directory changed while it was being stored (\(hash.prefix(12)) then \(packedHash.prefix(12)))")
        }
        try install(tmp, as: hash, compression: compression)
        return hash
    }

    /// Moves an already verified packed file into place.
    func install(_ file: URL, as hash: String, compression: Compression) throws {
        let target = location(of: hash, compression: compression)
        try FileSystem.makeDirectory(target.deletingLastPathComponent())
        FileSystem.fsync(file)
        try FileSystem.rename(file, to: target)
    }

    /// Checks that the stored object still hashes to its name.
    public func verify(_ hash: String) throws {
        guard let file = file(for: hash) else { throw missing(hash) }
        let actual: String
        do {
            actual = try CanonicalTar.hash(ofPacked: file).hash
        } catch {
            throw corrupt(hash, file, "it cannot be decompressed")
        }
        guard actual == hash else { throw corrupt(hash, file, "its content hashes to \(actual.prefix(12))") }
    }

    /// Verifies the object, then extracts it into `directory`.
    public func extract(_ hash: String, to directory: URL) throws {
        try verify(hash)
        try CanonicalTar.extract(file(for: hash)!, to: directory)
    }

    /// The regular files of an object with their sizes.
    public func listFiles(_ hash: String) throws -> [(path: String, size: Int64)] {
        guard let file = file(for: hash) else { throw missing(hash) }
        return try CanonicalTar.listFiles(ofPacked: file)
    }

    /// One file of an object (nil when the object has no such file), without extracting the rest.
    public func readFile(_ hash: String, path: String) throws -> Data? {
        guard let file = file(for: hash) else { throw missing(hash) }
        return try CanonicalTar.readFile(ofPacked: file, path: path)
    }

    /// The files at `paths` an object holds (those it lacks are absent), in one pass over it.
    public func readFiles(_ hash: String, paths: Set<String>) throws -> [String: Data] {
        guard let file = file(for: hash) else { throw missing(hash) }
        return try CanonicalTar.readFiles(ofPacked: file, paths: paths)
    }

    /// Every object hash in the store, sorted.
    public func allHashes() -> [String] {
        var hashes: [String] = []
        for prefix in FileSystem.children(of: objectsDirectory) {
            for name in FileSystem.children(of: objectsDirectory.appendingPathComponent(prefix)) {
                let hash = String(name.prefix(64))
                let known = Compression.allCases.contains { name == "\(hash).\($0.fileExtension)" }
                if known, isSHA256Hex(hash), hash.hasPrefix(prefix) { hashes.append(hash) }
            }
        }
        return hashes
    }

    func missing(_ hash: String) -> PipelineError {
        .failed("object \(hash.prefix(12)) is not in the store \(objectsDirectory.path); `pipeline run` recomputes it, or `pipeline import` brings it from an archive")
    }

    func corrupt(_ hash: String, _ file: URL, _ why: String) -> PipelineError {
        .failed("object \(file.path) is corrupt: \(why), not \(hash.prefix(12)). Delete the file and run `pipeline run` to recompute it (or `pipeline import` it again)")
    }
}
