import Artifacts
import Foundation
import NN

/// The reward model: the pretrained body with a 2-way head (sad, happy) on the last position of a
/// left-padded sequence. p(happy) is the reward PPO optimises.
public final class RewardModel {
    public let body: GPT
    public let head: Classifier
    public let context: Int

    public init(body: GPT, head: Classifier, context: Int) {
        self.body = body
        self.head = head
        self.context = context
    }

    /// Loads `model.safetensors` of a reward-train artifact.
    public convenience init(file: URL) throws {
        let tensors = try SafeTensors.read(file)
        let body = try GPT.load(from: file, allowing: { $0.hasPrefix("score.") })
        let head = Classifier(classes: 2, dModel: body.config.dModel, seed: 0)
        try head.load(tensors)
        guard let context = tensors.metadata["reward_context"].flatMap({ Int($0) }) else {
            throw PipelineError.failed("\(file.path) is not a reward model (no reward_context in its metadata)")
        }
        self.init(body: body, head: head, context: context)
    }

    /// `ids` cut to the context (the end dropped) and left-padded with 0.
    public func pad(_ ids: [UInt32]) -> [Int32] {
        let kept = ids.prefix(context).map { Int32($0) }
        return Array(repeating: 0, count: context - kept.count) + kept
    }

    /// Class logits (B, 2) for left-padded rows (B, context).
    func logits(_ rows: [Int32], b: Int) -> [Float] {
        body.forwardHidden(tokens: rows, b: b, t: context)
        return head.forward(hidden: body.hidden.pointer, positions: Array(repeating: context - 1, count: b), t: context)
    }

    /// p(happy) for each row.
    public func probabilities(_ rows: [[Int32]], batch: Int = 32) -> [Float] {
        var result: [Float] = []
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + batch)])
            let z = logits(chunk.flatMap { $0 }, b: chunk.count)
            for i in 0..<chunk.count {
                let a = z[2 * i], h = z[2 * i + 1]
                result.append(1 / (1 + Float(exp(Double(a - h)))))
            }
            start += batch
        }
        return result
    }
}
