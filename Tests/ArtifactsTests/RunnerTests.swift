import Artifacts
import Foundation
import Testing
import TestStages

@Suite("Runner")
struct RunnerTests {
    let all = ["src", "up", "low", "both", "mix"]

    func outcomes(_ result: [String: StageOutcome], _ expected: StageOutcome) -> [String] {
        all.filter { result[$0] == expected }
    }

    @Test("a first run runs everything; a second skips everything")
    func skipWhenUnchanged() throws {
        let ws = try ScratchWorkspace()
        #expect(outcomes(try ws.run(), .ran) == all)
        let lock = try ws.read("pipeline.lock")
        #expect(outcomes(try ws.run(), .upToDate) == all)
        #expect(try ws.read("pipeline.lock") == lock)
        #expect(try ws.workspace.status(ws.workspace.resolve()).allSatisfy { $0.state == .upToDate })
    }

    @Test("a param change re-runs only that stage and what reads it")
    func paramChange() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let result = try ws.run(set: ["low.suffix=!"])
        #expect(outcomes(result, .ran) == ["low", "both", "mix"])
        #expect(outcomes(result, .upToDate) == ["src", "up"])
    }

    @Test("an output that does not change stops the re-runs there")
    func unchangedOutputStopsPropagation() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        // 1 and 1.0 are the same number: same key.
        #expect(outcomes(try ws.run(set: ["up.scale=1.0"]), .upToDate) == all)
    }

    @Test("editing an input file re-runs its reader and everything downstream")
    func inputFileEdit() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let before = try ws.output("mix")
        try ws.write("in.txt", "delta\nepsilon\n")
        let statuses = try ws.workspace.status(ws.workspace.resolve())
        #expect(statuses[0].reasons.count == 1)
        #expect(statuses[0].reasons[0].hasPrefix("input text (in.txt) changed: "))
        #expect(outcomes(try ws.run(), .ran) == all)
        #expect(try ws.output("mix") != before)
    }

    @Test("a stage-version bump re-runs that stage")
    func versionBump() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        ws.useRegistry(TestStages.registry(versions: ["concat": 2]))
        let status = try ws.workspace.status(ws.workspace.resolve())
        #expect(status.first { $0.stage == "both" }?.reasons == ["stage version 1 -> 2"])
        let result = try ws.run()
        #expect(result["both"] == .ran)
        // Same bytes out, so the downstream stage keeps its key.
        #expect(result["mix"] == .upToDate)
        #expect(outcomes(result, .upToDate) == ["src", "up", "low", "mix"])
    }

    @Test("reverting a param restores the earlier artifact from the run cache")
    func runCacheAfterRevert() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let original = try ws.output("mix")
        try ws.run(set: ["up.mode=reverse"])
        #expect(try ws.output("mix") != original)
        let result = try ws.run()
        #expect(outcomes(result, .cached) == ["up", "both", "mix"])
        #expect(outcomes(result, .ran) == [])
        #expect(try ws.output("mix") == original)
    }

    @Test("status says why a stage is stale")
    func statusReasons() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let pipeline = try ws.workspace.resolve(overrides: ["src.repeat=3", "up.mode=lower"])
        let status = Dictionary(uniqueKeysWithValues: try ws.workspace.status(pipeline).map { ($0.stage, $0) })
        #expect(status["src"]?.reasons == ["src.repeat 2 -> 3"])
        #expect(status["up"]?.reasons == ["up.mode \"upper\" -> \"lower\"", "input text waits for src to run"])
        #expect(status["both"]?.reasons == ["input a waits for up to run", "input b waits for low to run"])
        #expect(status["src"]?.state == .stale)
        let fresh = try ScratchWorkspace()
        #expect(try fresh.workspace.status(fresh.workspace.resolve()).map(\.state) == Array(repeating: .neverRun, count: 5))
    }

    @Test("the seed enters only the keys of stages that use it")
    func seedScope() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        try ws.write("pipeline.json", ScratchWorkspace.standardConfig.replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 8"))
        let result = try ws.run()
        #expect(outcomes(result, .upToDate) == ["src", "up", "low", "both"])
        #expect(result["mix"] == .ran)
    }

    @Test("profiles keep their own lock and share artifacts where params agree")
    func profiles() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        #expect(outcomes(try ws.run(profile: "paper"), .cached) == all)
        #expect(ws.exists("pipeline.paper.lock"))
        #expect(outcomes(try ws.run(profile: "tiny"), .ran) == all)
        #expect(outcomes(try ws.run(), .upToDate) == all)
    }

    @Test("two jobs give the same artifacts as one")
    func parallelJobs() throws {
        let one = try ScratchWorkspace(), two = try ScratchWorkspace()
        try one.run()
        #expect(outcomes(try two.run(jobs: 2), .ran) == all)
        #expect(try one.read("pipeline.lock") == two.read("pipeline.lock"))
    }

    @Test("--jobs 2 runs independent stages at the same time")
    func jobsOverlap() throws {
        // Each of a and b starts only once the other has started: one job at a time would never finish.
        let ws = try ScratchWorkspace()
        let a = ws.url("a-started").path, b = ws.url("b-started").path
        try ws.write("pipeline.json", """
        {"stages": {
          "src": {"uses": "source", "inputs": {"text": {"file": "in.txt"}}},
          "a": {"uses": "sleeper", "inputs": {"text": {"stage": "src"}}, "params": {"touch": "\(a)", "wait_for": "\(b)"}},
          "b": {"uses": "sleeper", "inputs": {"text": {"stage": "src"}}, "params": {"touch": "\(b)", "wait_for": "\(a)"}}
        }}
        """)
        let result = try ws.run(jobs: 2)
        #expect(result["a"] == .ran && result["b"] == .ran)
    }

    @Test("--force must name a stage the run covers")
    func forceOutsideTargets() throws {
        let ws = try ScratchWorkspace()
        #expect(throws: PipelineError.badInput("--force low: not among the stages this run covers; name it (or a stage that reads it) too")) {
            try ws.run(["up"], force: ["low"])
        }
    }

    @Test("named targets run with what they need, nothing more")
    func targets() throws {
        let ws = try ScratchWorkspace()
        let result = try ws.run(["up"])
        #expect(result.keys.sorted() == ["src", "up"])
        #expect(try ws.output("low") == nil)
    }

    @Test("a failing stage is reported, its readers are skipped, the rest is kept")
    func failure() throws {
        let ws = try ScratchWorkspace()
        let result = try ws.run(set: ["low.fail=true"])
        #expect(result["low"] == .failed("transform was asked to fail"))
        #expect(result["both"] == .skipped("input stage low failed"))
        #expect(result["mix"] == .skipped("input stage low failed"))
        #expect(outcomes(result, .ran) == ["src", "up"])
        #expect(outcomes(try ws.run(), .upToDate) == ["src", "up"])
    }

    @Test("--force re-runs a stage that is up to date")
    func force() throws {
        let ws = try ScratchWorkspace()
        try ws.run()
        let result = try ws.run(force: ["up"])
        #expect(result["up"] == .ran)
        #expect(outcomes(result, .upToDate) == ["src", "low", "both", "mix"])
    }
}

@Suite("Input file hashes")
struct FileHashCacheTests {
    @Test("an input whose size, mtime, ctime and inode are unchanged is not re-read; a just-written one is not cached")
    func cacheByIdentity() throws {
        let ws = try ScratchWorkspace()
        let file = ws.url("in.txt")
        let cacheURL = ws.url("hashes.json")

        // Just written: hashed, but not remembered (its mtime could still move within the tick).
        let fresh = FileHashCache(url: cacheURL)
        #expect(try fresh.hash(of: file) == SHA256Hasher.hex("alpha\nBeta\ngamma\n"))
        fresh.save()
        #expect(!ws.exists("hashes.json"))

        Thread.sleep(forTimeInterval: 2.1)
        let settled = FileHashCache(url: cacheURL)
        #expect(try settled.hash(of: file) == SHA256Hasher.hex("alpha\nBeta\ngamma\n"))
        settled.save()

        // Plant a different hash for the same identity: a lookup that returns it did not read the file.
        let planted = try ws.read("hashes.json").replacingOccurrences(of: SHA256Hasher.hex("alpha\nBeta\ngamma\n"), with: String(repeating: "a", count: 64))
        try ws.write("hashes.json", planted)
        #expect(try FileHashCache(url: cacheURL).hash(of: file) == String(repeating: "a", count: 64))

        // Any write changes the identity (ctime at least): the file is read again.
        try ws.write("in.txt", "alpha\nBeta\ngamma\n")
        #expect(try FileHashCache(url: cacheURL).hash(of: file) == SHA256Hasher.hex("alpha\nBeta\ngamma\n"))
    }
}
