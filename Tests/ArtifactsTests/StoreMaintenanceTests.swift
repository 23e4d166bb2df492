import Artifacts
import Foundation
import Testing
import TestStages

@Suite("Verify and gc")
struct StoreMaintenanceTests {
    @Test("verify recomputes every locked stage and finds them reproduced")
    func verifyReproduces() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let results = try ws.workspace.verify(try ws.workspace.resolve(), stages: [])
        #expect(results.map(\.stage) == ["src", "up", "low", "both", "mix"])
        #expect(results.allSatisfy { $0.reproduced })
    }

    @Test("verify names the files of a non-deterministic stage")
    func verifyCatchesNondeterminism() throws {
        let ws = try ScratchWorkspace(config: #"{"stages": {"n": {"uses": "noisy"}}}"#)
        try ws.run()
        let results = try ws.workspace.verify(try ws.workspace.resolve(), stages: ["n"])
        #expect(results.count == 1)
        #expect(!results[0].reproduced)
        #expect(results[0].differingFiles == ["random.txt"])
    }

    @Test("verify refuses when a recorded input file has changed")
    func verifyInputChanged() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        try ws.write("in.txt", "changed\n")
        let recorded = SHA256Hasher.hex("alpha\nBeta\ngamma\n").prefix(12), now = SHA256Hasher.hex("changed\n").prefix(12)
        #expect(throws: PipelineError.badInput("stage 'src' input 'text': in.txt changed since pipeline.lock was written (recorded \(recorded), now \(now)): `pipeline run` first")) {
            try ws.workspace.verify(try ws.workspace.resolve(), stages: ["src"])
        }
    }

    @Test("gc --prune-cache keeps only what the lock files use")
    func pruneCache() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        try ws.run(set: ["up.suffix=?"])
        let store = ws.workspace.store(try ws.workspace.loadConfig())
        #expect(store.allHashes().count == 8)
        let report = try ws.workspace.collectGarbage(dryRun: false, checkpoints: false, pruneCache: true)
        #expect(report.objects.count == 3)
        #expect(report.runRecords.count == 3)
        #expect(store.allHashes().count == 5)
        #expect(try ws.run(set: ["up.suffix=?"]).values.allSatisfy { $0 == .upToDate })
        #expect(try ws.run()["up"] == .ran)
    }

    @Test("gc deletes only what no lock or run record reaches")
    func gcKeepsReachable() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        try ws.run(set: ["up.suffix=?"])
        let store = ws.workspace.store(try ws.workspace.loadConfig())
        #expect(store.allHashes().count == 8)
        // Everything is reachable from the lock or the run cache.
        #expect(try ws.workspace.collectGarbage(dryRun: false, checkpoints: false).objects.isEmpty)
        #expect(store.allHashes().count == 8)

        // Forget the first run of `up` and its readers: their outputs become unreachable.
        let lock = try ws.workspace.loadLock(ws.workspace.resolve())
        let current = Set(lock.entries.values.map(\.invocation.key))
        for key in ws.workspace.runs.allKeys() where !current.contains(key) {
            FileSystem.remove(ws.workspace.runs.recordURL(key))
        }
        let dry = try ws.workspace.collectGarbage(dryRun: true, checkpoints: false)
        #expect(dry.objects.count == 3)
        #expect(store.allHashes().count == 8)
        let report = try ws.workspace.collectGarbage(dryRun: false, checkpoints: false)
        #expect(report.objects.map(\.hash).sorted() == dry.objects.map(\.hash).sorted())
        #expect(store.allHashes().count == 5)
        #expect(try ws.run(set: ["up.suffix=?"]).values.allSatisfy { $0 == .upToDate })
    }
}
