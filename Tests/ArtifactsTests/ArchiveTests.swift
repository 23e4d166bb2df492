import Artifacts
import Foundation
import Testing
import TestStages

@Suite("Archive and import")
struct ArchiveTests {
    @Test("the same store gives a byte-identical archive every time")
    func deterministic() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let pipeline = try ws.workspace.resolve()
        try ws.workspace.writeArchive(pipeline, stages: [], to: ws.url("one.tar.zst"))
        Thread.sleep(forTimeInterval: 1.1)
        try ws.workspace.writeArchive(pipeline, stages: [], to: ws.url("two.tar.zst"))
        #expect(try Data(contentsOf: ws.url("one.tar.zst")) == Data(contentsOf: ws.url("two.tar.zst")))
        // A second workspace that computed the same artifacts writes the same bytes too.
        let other = try ScratchWorkspace()
        try other.run(jobs: 2)
        try other.workspace.writeArchive(try other.workspace.resolve(), stages: [], to: other.url("three.tar.zst"))
        #expect(try Data(contentsOf: ws.url("one.tar.zst")) == Data(contentsOf: other.url("three.tar.zst")))
    }

    @Test("archive, import into an empty workspace, run: nothing is computed")
    func roundTrip() throws {
        let source = try ScratchWorkspace()
        try source.run()
        try source.workspace.writeArchive(try source.workspace.resolve(), stages: [], to: source.url("share.tar.zst"))

        let target = try ScratchWorkspace()
        let imported = try target.workspace.importArchive(source.url("share.tar.zst"))
        #expect(imported.objects == 5 && imported.stages == 5 && imported.profile == "default")
        let result = try target.run()
        #expect(result.values.allSatisfy { $0 == .cached })
        #expect(try target.read("pipeline.lock") == source.read("pipeline.lock"))
        #expect(try target.workspace.verifyStore().corrupt.isEmpty)
    }

    @Test("an archive of named stages holds just those")
    func namedStages() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let result = try ws.workspace.writeArchive(try ws.workspace.resolve(), stages: ["src", "up"], to: ws.url("part.tar.gz"))
        #expect(result.stages == 2 && result.objects == 2)
        let target = try ScratchWorkspace()
        try target.workspace.importArchive(ws.url("part.tar.gz"))
        let outcome = try target.run()
        #expect(outcome["src"] == .cached && outcome["up"] == .cached && outcome["low"] == .ran)
    }

    func rejected(_ tar: RawTar, _ expected: String, maxEntrySize: Int64 = Workspace.defaultMaxEntrySize) throws {
        let ws = try ScratchWorkspace()
        try tar.finished().write(to: ws.url("crafted.tar"))
        #expect(throws: PipelineError.badInput(expected)) {
            try ws.workspace.importArchive(ws.url("crafted.tar"), maxEntrySize: maxEntrySize)
        }
        #expect(!ws.exists("artifacts"))
    }

    @Test("import rejects '..', absolute paths, links and devices, naming the entry")
    func rejectsCraftedEntries() throws {
        var dotdot = RawTar()
        dotdot.add("archive.json", Data("{}".utf8))
        dotdot.add("../x", Data("evil".utf8))
        try rejected(dotdot, "crafted.tar: entry '../x' rejected: '..' in path; nothing was imported")

        var absolute = RawTar()
        absolute.add("/etc/x", Data("evil".utf8))
        try rejected(absolute, "crafted.tar: entry '/etc/x' rejected: absolute path; nothing was imported")

        var symlink = RawTar()
        symlink.add("objects/ab/link", kind: .symlink, link: "/etc/passwd")
        try rejected(symlink, "crafted.tar: entry 'objects/ab/link' rejected: links are not allowed; nothing was imported")

        var hardlink = RawTar()
        hardlink.add("pipeline.lock", kind: .hardlink, link: "/etc/shadow")
        try rejected(hardlink, "crafted.tar: entry 'pipeline.lock' rejected: links are not allowed; nothing was imported")

        var device = RawTar()
        device.add("dev", kind: .charDevice)
        try rejected(device, "crafted.tar: entry 'dev' rejected: devices, FIFOs and other special files are not allowed; nothing was imported")

        var stray = RawTar()
        stray.add("notes.txt", Data("hi".utf8))
        try rejected(stray, "crafted.tar: entry 'notes.txt' rejected: not a file a pipeline archive holds (archive.json, pipeline.lock, objects/xx/<sha256>.tar.zst or .tar.gz); nothing was imported")

        var big = RawTar()
        big.add("pipeline.lock", Data(count: 2000))
        try rejected(big, "crafted.tar: entry 'pipeline.lock' rejected: its size (2000 bytes) is over the limit of 1000 bytes (--max-entry-size); nothing was imported", maxEntrySize: 1000)
    }

    @Test("import rejects an object whose content does not match its name")
    func rejectsWrongHash() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let pipeline = try ws.workspace.resolve()
        let store = ws.workspace.store(pipeline.config)
        let src = try #require(try ws.output("src"))
        let up = try #require(try ws.output("up"))
        // Serve up's bytes under src's name.
        var tar = RawTar()
        tar.add("archive.json", Data(#"{"format":"rlhf-shakespeare-archive","profile":"default","version":1}"#.utf8))
        tar.add("objects/\(src.prefix(2))/\(src).tar.gz", try Data(contentsOf: store.file(for: up)!))
        tar.add("pipeline.lock", try Data(contentsOf: ws.url("pipeline.lock")))
        let target = try ScratchWorkspace()
        try tar.finished().write(to: target.url("swap.tar"))
        let actual = up
        #expect(throws: PipelineError.badInput("swap.tar: entry 'objects/\(src.prefix(2))/\(src).tar.gz' rejected: its content hashes to \(actual), not its name; nothing was imported")) {
            try target.workspace.importArchive(target.url("swap.tar"))
        }
    }

    @Test("import rejects an object that would write outside its folder, even with a matching hash")
    func rejectsTraversalInsideObject() throws {
        var inner = RawTar()
        inner.add("../escape.txt", Data("evil".utf8))
        let object = inner.finished()
        let hash = SHA256Hasher.hex(object)
        var outer = RawTar()
        outer.add("archive.json", Data(#"{"format":"rlhf-shakespeare-archive","profile":"default","version":1}"#.utf8))
        outer.add("objects/\(hash.prefix(2))/\(hash).tar.gz", object)
        try rejected(outer, "crafted.tar: entry 'objects/\(hash.prefix(2))/\(hash).tar.gz' rejected: it contains '../escape.txt': '..' in path; nothing was imported")
    }

    @Test("a corrupted object is caught when read, named, with the fix")
    func corruptedObject() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let store = ws.workspace.store(try ws.workspace.loadConfig())
        let up = try #require(try ws.output("up"))
        let file = store.file(for: up)!
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: file)

        let check = try ws.workspace.verifyStore()
        #expect(check.checked == 5)
        #expect(check.corrupt.map(\.hash) == [up])
        #expect(check.corrupt[0].reason.hasPrefix("object \(file.path) is corrupt: "))
        #expect(check.corrupt[0].reason.hasSuffix("Delete the file and run `pipeline run` to recompute it (or `pipeline import` it again)"))

        // A downstream stage that reads it fails with the same message.
        let result = try ws.run(force: ["both"])
        guard case let .failed(message)? = result["both"] else { Issue.record("both did not fail"); return }
        #expect(message.hasPrefix("object \(file.path) is corrupt"))
    }
}
