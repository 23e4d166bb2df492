import Artifacts
import Foundation
import Testing

@Suite("Canonical tar")
struct CanonicalTarTests {
    func makeTree(_ root: URL, mtime: Date, mode: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: root.appendingPathComponent("sub/deeper/w.bin"))
        try Data("b".utf8).write(to: root.appendingPathComponent("b.txt"))
        try Data("a".utf8).write(to: root.appendingPathComponent("a.txt"))
        try Data().write(to: root.appendingPathComponent("empty"))
        try Data(repeating: 7, count: 3 << 20).write(to: root.appendingPathComponent("big.bin"))
        for path in ["a.txt", "b.txt", "empty", "big.bin", "sub/deeper/w.bin"] {
            try fm.setAttributes([.modificationDate: mtime, .posixPermissions: mode], ofItemAtPath: root.appendingPathComponent(path).path)
        }
    }

    @Test("the hash depends on content only, not on mtimes, permissions or creation order")
    func hashIgnoresMetadata() throws {
        let a = try FileSystem.makeTemporaryDirectory(prefix: "tar-a"), b = try FileSystem.makeTemporaryDirectory(prefix: "tar-b")
        defer { FileSystem.remove(a); FileSystem.remove(b) }
        try makeTree(a, mtime: Date(timeIntervalSince1970: 1_000_000), mode: 0o600)
        try makeTree(b, mtime: Date(), mode: 0o664)
        #expect(try CanonicalTar.hash(of: a) == CanonicalTar.hash(of: b))
        try Data("B".utf8).write(to: b.appendingPathComponent("b.txt"))
        #expect(try CanonicalTar.hash(of: a) != CanonicalTar.hash(of: b))
    }

    @Test("an empty directory hashes to the SHA-256 of 1024 zero bytes (the tar end marker)")
    func emptyDirectory() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "tar-empty")
        defer { FileSystem.remove(dir) }
        #expect(try CanonicalTar.hash(of: dir) == SHA256Hasher.hex(Data(count: 1024)))
    }

    @Test("packed bytes are identical twice and decompress to the hashed stream", arguments: Compression.allCases)
    func packDeterministic(compression: Compression) throws {
        let src = try FileSystem.makeTemporaryDirectory(prefix: "tar-src")
        defer { FileSystem.remove(src) }
        try makeTree(src, mtime: Date(), mode: 0o644)
        let one = src.deletingLastPathComponent().appendingPathComponent("\(UUID()).\(compression.fileExtension)")
        let two = src.deletingLastPathComponent().appendingPathComponent("\(UUID()).\(compression.fileExtension)")
        defer { FileSystem.remove(one); FileSystem.remove(two) }
        try CanonicalTar.pack(src, to: one, compression: compression)
        Thread.sleep(forTimeInterval: 1.1)   // a timestamp in the compressed header would now differ
        try CanonicalTar.pack(src, to: two, compression: compression)
        #expect(try Data(contentsOf: one) == Data(contentsOf: two))
        #expect(try CanonicalTar.hash(ofPacked: one).hash == CanonicalTar.hash(of: src))

        let out = try FileSystem.makeTemporaryDirectory(prefix: "tar-out")
        defer { FileSystem.remove(out) }
        try CanonicalTar.extract(one, to: out)
        #expect(try CanonicalTar.hash(of: out) == CanonicalTar.hash(of: src))
        #expect(try Data(contentsOf: out.appendingPathComponent("sub/deeper/w.bin")) == Data("weights".utf8))
        #expect(try CanonicalTar.listFiles(ofPacked: one).map(\.path) == ["a.txt", "b.txt", "big.bin", "empty", "sub/deeper/w.bin"])
        // Single files without extracting: directories and absent paths are not files.
        #expect(try CanonicalTar.readFiles(ofPacked: one, paths: ["sub/deeper/w.bin", "a.txt", "empty", "sub", "nope"])
            == ["sub/deeper/w.bin": Data("weights".utf8), "a.txt": Data("a".utf8), "empty": Data()])
        #expect(try CanonicalTar.readFile(ofPacked: one, path: "big.bin") == Data(repeating: 7, count: 3 << 20))
        #expect(try CanonicalTar.readFile(ofPacked: one, path: "missing") == nil)
    }

    @Test("links in an artifact are refused")
    func refusesLinks() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "tar-link")
        defer { FileSystem.remove(dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: "/etc/passwd")
        #expect(throws: PipelineError.failed("link: only regular files and directories can go in an artifact (found a link or special file)")) {
            try CanonicalTar.hash(of: dir)
        }
    }

    @Test("unsafe entry paths are named")
    func unsafePaths() {
        #expect(unsafePathReason("objects/ab/x.tar.gz") == nil)
        #expect(unsafePathReason("dir/") == nil)
        #expect(unsafePathReason("../x") == "'..' in path")
        #expect(unsafePathReason("a/../../x") == "'..' in path")
        #expect(unsafePathReason("/etc/x") == "absolute path")
        #expect(unsafePathReason("a//b") == "non-canonical path")
    }
}
