import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("reward-train stage")
struct RewardTrainTests {
    @Test("writes a reward model that loads, its evaluation, and one score per validation passage")
    func outputs() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        #expect(try ws.reports().allSatisfy { $0.outcome == .ran })
        let dir = try ws.artifact("reward-train")
        let evaluation = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("eval.json")))
        #expect(evaluation["examples"] == .int(7))
        #expect(evaluation["reliability"]?.arrayValue?.count == 10)
        #expect(evaluation["reliability"]?.arrayValue?.compactMap { $0["count"]?.intValue }.reduce(0, +) == 7)
        #expect(evaluation["confusion"]?["neutral"] != nil)
        let scores = try String(contentsOf: dir.appendingPathComponent("scores.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(scores.count == 7)
        #expect(try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count == 3)
        let model = try RewardModel(file: dir.appendingPathComponent("model.safetensors"))
        #expect(model.context == 12)
        let p = model.probabilities([[1, 2, 3], [1, 2, 3, 4, 5, 6], []])
        #expect(p.count == 3 && p.allSatisfy { $0 > 0 && $0 < 1 })
        // Right padding: a text's score does not depend on what it is batched with.
        #expect(abs(model.probabilities([[1, 2, 3]])[0] - p[0]) < 1e-6)
    }
}
