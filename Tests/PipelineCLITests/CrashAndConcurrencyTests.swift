import Artifacts
import Foundation
import Testing
import TestStages

/// A pipeline whose `slow` stage waits for the file `go` in the workspace (or sleeps).
func slowConfig(waitFor: String = "", seconds: Double = 0) -> String {
    """
    {"stages": {
      "src": {"uses": "source", "inputs": {"text": {"file": "in.txt"}}},
      "slow": {"uses": "sleeper", "inputs": {"text": {"stage": "src"}}, "params": {"wait_for": "\(waitFor)", "seconds": \(seconds)}},
      "after": {"uses": "transform", "inputs": {"text": {"stage": "slow"}}}
    }}
    """
}

func waitUntil(timeout: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return false
}

/// True once some run of `slow` has written its "started" marker in its work dir.
func slowStarted(_ ws: ScratchWorkspace) -> Bool {
    let work = ws.url("artifacts/work")
    return FileSystem.children(of: work).contains { FileSystem.exists(work.appendingPathComponent("\($0)/started")) }
}

@Suite("Crashes and concurrent runs", .serialized)
struct CrashAndConcurrencyTests {
    @Test("a runner killed mid-stage leaves a clean store, and the next run finishes with the same artifact")
    func killMidStage() throws {
        let ws = try ScratchWorkspace(config: slowConfig(waitFor: "go"))
        let child = try startProcess(stageHost, ["run"], in: ws.root)
        #expect(waitUntil { slowStarted(ws) })
        kill(child.process.processIdentifier, SIGKILL)
        let killed = child.result()
        #expect(killed.process_wasKilled)
        #expect(masked(killed.stdout) == "ran         src         T\n")

        // The store holds only complete objects; the half-done stage is not registered.
        let check = try pipeline("gc", "--verify", in: ws)
        #expect(check.status == 0)
        #expect(check.stdout == "store is clean: 1 object verified\n")
        let lock = try JSON.parse(try ws.read("pipeline.lock"))
        #expect(lock["stages"]?.objectMembers?.map(\.0) == ["src"])
        #expect(FileSystem.children(of: ws.url("artifacts/tmp")).count == 1)

        try ws.write("go", "")
        let next = try pipeline("run", in: ws)
        #expect(next.status == 0)
        #expect(masked(next.stdout) == "up to date  src         T\nran         slow        T\nran         after       T\n3 stages: 2 ran, 0 cached, 1 up to date in T [pipeline.lock]\n")
        #expect(FileSystem.children(of: ws.url("artifacts/tmp")).isEmpty)
        #expect(FileSystem.children(of: ws.url("artifacts/work")).isEmpty)

        let uninterrupted = try ScratchWorkspace(config: slowConfig(waitFor: "go"))
        try uninterrupted.write("go", "")
        #expect(try pipeline("run", in: uninterrupted).status == 0)
        #expect(try ws.output("after") == uninterrupted.output("after"))
        #expect(try ws.read("pipeline.lock") == uninterrupted.read("pipeline.lock"))
        #expect(try pipeline("gc", "--verify", in: ws).stdout == "store is clean: 2 objects verified\n")
    }

    @Test("a second run on the same workspace waits for the first and then finds everything up to date")
    func concurrentRuns() throws {
        let ws = try ScratchWorkspace(config: slowConfig(seconds: 1.5))
        let first = try startProcess(stageHost, ["run"], in: ws.root)
        #expect(waitUntil { slowStarted(ws) })
        let second = try pipeline("run", in: ws)
        let firstResult = first.result()
        #expect(firstResult.status == 0)
        #expect(second.status == 0)
        #expect(second.stderr.hasPrefix("waiting for another pipeline command (pid \(first.process.processIdentifier)) to finish with this workspace..."))
        #expect(masked(second.stdout) == "up to date  src         T\nup to date  slow        T\nup to date  after       T\n3 stages: 0 ran, 0 cached, 3 up to date in T [pipeline.lock]\n")
        #expect(try pipeline("gc", "--verify", in: ws).stdout == "store is clean: 2 objects verified\n")
    }
}

extension ProcessResult {
    var process_wasKilled: Bool { status == SIGKILL }
}
