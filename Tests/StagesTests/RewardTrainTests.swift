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
        #expect(try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count == 20)
        let model = try RewardModel(file: dir.appendingPathComponent("model.safetensors"))
        #expect(model.context == 12)
        let p = model.probabilities([[1, 2, 3], [1, 2, 3, 4, 5, 6], []])
        #expect(p.count == 3 && p.allSatisfy { $0 > 0 && $0 < 1 })
        // Right padding: a text's score does not depend on what it is batched with.
        #expect(abs(model.probabilities([[1, 2, 3]])[0] - p[0]) < 1e-6)

        // The pretrained model's own samples, scored by the new reward model, and their spread.
        let probe = try String(contentsOf: dir.appendingPathComponent("pretrained_samples.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(probe.count == 6)
        let ids = probe.map { $0["ids"]!.arrayValue!.map { Int32($0.intValue!) } }
        #expect(ids.allSatisfy { $0.count == 5 })
        let recorded = probe.map { $0["p_happy"]!.doubleValue! }
        for (row, q) in zip(ids, recorded) { #expect(abs(Double(model.probabilities([row])[0]) - q) < 1e-6) }
        let mean = recorded.reduce(0, +) / 6
        let std = (recorded.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot()
        let spread = try #require(evaluation["pretrained_samples"])
        #expect(spread["count"] == .int(6) && spread["tokens"] == .int(5))
        #expect(abs(spread["mean_p_happy"]!.doubleValue! - mean) < 1e-6)
        #expect(abs(spread["std_p_happy"]!.doubleValue! - std) < 1e-6)
        #expect(std > 0)
    }

    @Test("reads every prefix of a text in the forward that scores it: the last prefix is the text's own score")
    func prefixMargins() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        #expect(try ws.run(["reward-train"])["reward-train"] == .ran)
        let model = try RewardModel(file: ws.artifact("reward-train").appendingPathComponent("model.safetensors"))
        let texts: [[Int32]] = [[1, 2, 3, 4, 5, 6], [7, 8], Array(repeating: 9, count: 20)]
        let (scores, margins) = model.logProbabilitiesAndPrefixMargins(texts)
        #expect(scores.map(\.happy) == model.logProbabilities(texts).map(\.happy))
        // One margin per token the model reads (its context is 12).
        #expect(margins.map(\.count) == [6, 2, 12])
        for (text, row) in zip(texts, margins) {
            let cut = Array(text.prefix(model.context))
            let alone = model.logProbabilities((1...cut.count).map { Array(cut.prefix($0)) })
            for (margin, score) in zip(row, alone) { #expect(abs(margin - (score.happy - score.sad)) < 1e-5, "\(row)") }
        }
    }

    /// p(happy) of every validation passage.
    func validScores(_ overrides: [String]) throws -> [Double] {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        #expect(try ws.run(["reward-train"], set: overrides)["reward-train"] == .ran)
        let scores = try String(contentsOf: ws.artifact("reward-train").appendingPathComponent("scores.jsonl"), encoding: .utf8)
        return try scores.split(separator: "\n").map { try JSON.parse(String($0))["p_happy"]!.doubleValue! }
    }

    @Test("label smoothing pulls the training targets to 0.5: at 1 the model learns no sentiment")
    func labelSmoothing() throws {
        let sharp = try validScores(["reward-train.label_smoothing=0"])
        let flat = try validScores(["reward-train.label_smoothing=1"])
        #expect(sharp.contains { abs($0 - 0.5) > 0.3 }, "\(sharp)")
        #expect(flat.allSatisfy { abs($0 - 0.5) < 0.05 }, "\(flat)")
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        let reports = try ws.reports(["reward-train"], set: ["reward-train.label_smoothing=1.5"])
        #expect(reports.first { $0.stage == "reward-train" }?.outcome == .failed("reward-train.label_smoothing must be between 0 and 1"))
    }
}
