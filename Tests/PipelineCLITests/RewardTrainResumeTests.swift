import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("reward-train resumes", .serialized)
struct RewardTrainResumeTests {
    /// Enough epochs (each one checkpointed) that the run can be killed part-way.
    let longer = ["--set", "reward-train.epochs=400", "--set", "reward-train.patience=1000", "--set", "reward-train.probe_samples=0"]

    func workspace() throws -> ScratchWorkspace {
        try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
    }

    @Test("after kill -9 between epochs, pipeline run resumes and the artifact equals an uninterrupted run's")
    func resumeAfterKill() throws {
        let ws = try workspace()
        // Everything upstream first, so the only checkpoint that can appear is reward-train's.
        #expect(try runProcess(pipelineBinary, ["run", "pretrain", "label-import"], in: ws.root).status == 0)
        let child = try startProcess(pipelineBinary, ["run"] + longer, in: ws.root)
        let work = ws.url("artifacts/work")
        let started = waitUntil(timeout: 120) {
            FileSystem.children(of: work).contains { FileSystem.exists(work.appendingPathComponent("\($0)/checkpoint.safetensors")) }
        }
        #expect(started)
        kill(child.process.processIdentifier, SIGKILL)
        _ = child.result()
        #expect(try ws.output("reward-train") == nil, "the run finished before it could be killed")

        let resumed = try runProcess(pipelineBinary, ["run"] + longer, in: ws.root)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("ran         reward-train"))
        let key = try #require(try ws.workspace.loadLock(ws.workspace.resolve()).entries["reward-train"]?.invocation.key)
        #expect(try String(contentsOf: ws.workspace.runs.logURL(key), encoding: .utf8).contains("resuming after epoch"))

        let fresh = try workspace()
        #expect(try runProcess(pipelineBinary, ["run"] + longer, in: fresh.root).status == 0)
        #expect(try ws.output("reward-train") == fresh.output("reward-train"))
    }
}
