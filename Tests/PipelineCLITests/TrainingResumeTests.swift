import Artifacts
import Foundation
import Stages
import Testing
import TestStages

/// Starts `pipeline ARGS`, kills it with SIGKILL as soon as a training checkpoint exists in some
/// work folder, and reports whether that happened before the run could finish.
func killAtFirstCheckpoint(_ ws: ScratchWorkspace, _ arguments: [String]) throws -> Bool {
    let child = try startProcess(pipelineBinary, arguments, in: ws.root)
    let work = ws.url("artifacts/work")
    let started = waitUntil(timeout: 120) {
        FileSystem.children(of: work).contains { FileSystem.exists(work.appendingPathComponent("\($0)/checkpoint.safetensors")) }
    }
    kill(child.process.processIdentifier, SIGKILL)
    _ = child.result()
    return started
}

@Suite("reward-train and ppo resume", .serialized)
struct TrainingResumeTests {
    func workspace() throws -> ScratchWorkspace {
        try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
    }

    /// Kills `stage` mid-run (everything upstream has finished first, so the only checkpoint that can
    /// appear is its own), resumes, and compares with an uninterrupted run in a fresh workspace.
    func resume(_ stage: String, upstream: [String], longer: [String], resumedLine: String) throws {
        let ws = try workspace()
        #expect(try runProcess(pipelineBinary, ["run"] + upstream + longer, in: ws.root).status == 0)
        #expect(try killAtFirstCheckpoint(ws, ["run"] + longer))
        #expect(try ws.output(stage) == nil, "the run finished before it could be killed")

        let resumed = try runProcess(pipelineBinary, ["run"] + longer, in: ws.root)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("ran         \(stage)"))
        let key = try #require(try ws.workspace.loadLock(ws.workspace.resolve()).entries[stage]?.invocation.key)
        #expect(try String(contentsOf: ws.workspace.runs.logURL(key), encoding: .utf8).contains(resumedLine))

        let fresh = try workspace()
        #expect(try runProcess(pipelineBinary, ["run"] + longer, in: fresh.root).status == 0)
        #expect(try ws.output(stage) == fresh.output(stage))
    }

    @Test("reward-train: after kill -9 between epochs, pipeline run resumes and the artifact equals an uninterrupted run's")
    func rewardTrain() throws {
        try resume("reward-train", upstream: ["pretrain", "label-import"],
                   longer: ["--set", "reward-train.epochs=400", "--set", "reward-train.patience=1000", "--set", "reward-train.probe_samples=0"],
                   resumedLine: "resuming after epoch")
    }

    @Test("ppo: after kill -9 between iterations, pipeline run resumes and the artifact equals an uninterrupted run's")
    func ppo() throws {
        try resume("ppo", upstream: ["reward-train"],
                   longer: ["--set", "ppo.max_iterations=300", "--set", "ppo.lr=1e-4", "--set", "ppo.checkpoint_every_sqrt_kl=0.05"],
                   resumedLine: "resuming at iteration")
    }
}
