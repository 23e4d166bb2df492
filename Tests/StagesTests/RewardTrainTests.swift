import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("reward-train stage")
struct RewardTrainTests {
    @Test("writes a reward model that loads, its evaluation, and one score per validation passage")
    func outputs() throws {
        var labels: [String] = []
        for i in 0..<12 { labels.append(#"{"sample": "joy and mirth \#(i)", "sentiment": "happy"}"#) }
        for i in 0..<12 { labels.append(#"{"sample": "grief and woe \#(i)", "sentiment": "sad"}"#) }
        for i in 0..<4 { labels.append(#"{"sample": "the hour is \#(i)", "sentiment": "neutral"}"#) }
        let corpus = (0..<300).map { "joy and mirth, grief and woe, the hour is \($0 % 10)." }.joined(separator: "\n")
        let ws = try stageWorkspace(config: """
        {"stages": {
          "tokenize": {"inputs": {"corpus": {"file": "text.txt"}}, "params": {"format": "text"}},
          "split": {"inputs": {"tokens": {"stage": "tokenize"}}, "params": {"context": 16}},
          "label-import": {"inputs": {"labels": {"file": "labels.jsonl"}, "tokens": {"stage": "tokenize"}}, "params": {"context": 12, "valid_fraction": 0.25}},
          "pretrain": {"inputs": {"split": {"stage": "split"}, "tokens": {"stage": "tokenize"}},
                       "params": {"d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32, "batch": 4, "max_steps": 20, "sample_tokens": 4}},
          "reward-train": {"inputs": {"pretrain": {"stage": "pretrain"}, "labels": {"stage": "label-import"}}, "params": {"epochs": 3, "batch": 4}}
        }}
        """, files: ["text.txt": corpus, "labels.jsonl": labels.joined(separator: "\n")])
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
        let p = model.probabilities([model.pad([1, 2, 3])])
        #expect(p.count == 1 && p[0] > 0 && p[0] < 1)
    }
}
