import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("pipeline score", .serialized)
struct ScoreCommandTests {
    /// The tiny reward pipeline, run, and its reward model loaded in-process to check against.
    func trained() throws -> (ScratchWorkspace, RewardModel, LockedModel) {
        let ws = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        let run = try runProcess(pipelineBinary, ["run"], in: ws.root)
        #expect(run.status == 0, "\(run.stderr)")
        let files = try LockedModel(workspace: ws.workspace, pipeline: ws.workspace.resolve(), stage: "reward-train")
        let model = try RewardModel(file: files.folder.appendingPathComponent("model.safetensors"))
        return (ws, model, files)
    }

    @Test("texts: one p(happy) per text, as the reward model computes it")
    func texts() throws {
        let (ws, model, files) = try trained()
        defer { files.close() }
        let texts = ["joy and mirth", "grief and woe 3", "words it never saw"]
        let result = try runProcess(pipelineBinary, ["score"] + texts, in: ws.root)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = model.probabilities(texts.map(files.encode)).map { String(format: "%.4f", $0) }
        #expect(result.stdout == expected.joined(separator: "\n") + "\n")
    }

    @Test("--file: one line per input line in order, then the accuracy over happy and sad lines")
    func file() throws {
        let (ws, model, files) = try trained()
        defer { files.close() }
        let lines = [#"{"sample": "joy and mirth 1", "sentiment": "happy"}"#, #"{"sample": "the hour is 2"}"#,
                     #"{"sample": "grief and woe 5", "sentiment": "sad"}"#, #"{"sample": "the hour is 3", "sentiment": "neutral"}"#,
                     #"{"work": "text", "line": 2, "lines": 1, "sentiment": "sad"}"#]
        try ws.write("probe.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try runProcess(pipelineBinary, ["score", "--file", "probe.jsonl"], in: ws.root)
        #expect(result.status == 0, "\(result.stderr)")
        let texts = ["joy and mirth 1", "the hour is 2", "grief and woe 5", "the hour is 3", "joy and mirth, grief and woe, the hour is 1."]
        let p = model.probabilities(texts.map(files.encode))
        let right = [p[0] > 0.5, p[2] <= 0.5, p[4] <= 0.5].filter { $0 }.count
        let expected = p.map { String(format: "%.4f", $0) } + [String(format: "accuracy: %.3f (3 labelled)", Float(right) / 3)]
        #expect(result.stdout == expected.joined(separator: "\n") + "\n")
    }

    @Test("bad input: a clear error and exit status 2")
    func errors() throws {
        let (ws, _, files) = try trained()
        files.close()
        try ws.write("bad.jsonl", #"{"sample": "joy"}"# + "\n" + #"{"sample": "joy", "sentiment": "glad"}"# + "\n")
        let bad = try runProcess(pipelineBinary, ["score", "--file", "bad.jsonl"], in: ws.root)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"bad.jsonl:2: unknown sentiment "glad"; use "happy", "sad" or "neutral"; nothing was scored"#))
        let none = try runProcess(pipelineBinary, ["score"], in: ws.root)
        #expect(none.status == 2 && none.stderr.contains("give texts to score, or --file F.jsonl"))
        let notReward = try runProcess(pipelineBinary, ["score", "--stage", "pretrain", "joy"], in: ws.root)
        #expect(notReward.status == 2 && notReward.stderr.contains("stage 'pretrain' holds no reward model"))
        let fresh = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        let notRun = try runProcess(pipelineBinary, ["score", "joy"], in: fresh.root)
        #expect(notRun.status == 2 && notRun.stderr.contains("stage 'reward-train' has not run: `pipeline run reward-train` first"))
    }
}
