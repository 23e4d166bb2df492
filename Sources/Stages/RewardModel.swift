import Artifacts
import Foundation
import NN

/// The reward model: the pretrained body with a 2-way head (sad, happy) on the hidden states of
/// each text (their mean, or the last token's). p(happy) is the reward PPO optimises.
///
/// Texts are right-padded to the longest in the batch: causal attention never lets a real token
/// see padding, and positions start at 0 as in pretraining, so the score of a text does not
/// depend on what it is batched with.
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
        guard let context = tensors.metadata["reward_context"].flatMap({ Int($0) }),
              let pooling = Classifier.Pooling(rawValue: tensors.metadata["reward_pooling"] ?? "") else {
            throw PipelineError.failed("\(file.path) is not a reward model (no reward_context and reward_pooling in its metadata)")
        }
        let head = Classifier(classes: 2, dModel: body.config.dModel, pooling: pooling, seed: 0)
        try head.load(tensors)
        self.init(body: body, head: head, context: context)
    }

    /// A batch as the body reads it: each text cut to the context (the end dropped), right-padded
    /// with id 0 to the longest, and the position of each text's last token (an empty text is read
    /// as one padding token).
    func batch(_ texts: [[Int32]]) -> (ids: [Int32], t: Int, positions: [Int]) {
        let kept = texts.map { $0.prefix(context) }
        let t = max(1, kept.map(\.count).max() ?? 1)
        var ids: [Int32] = []
        ids.reserveCapacity(t * kept.count)
        for row in kept { ids += row; ids += repeatElement(0, count: t - row.count) }
        return (ids, t, kept.map { max(0, $0.count - 1) })
    }

    /// Class logits (B, 2) for a batch of texts, the padded length `t` the head's backward needs,
    /// and each text's last position.
    func logits(_ texts: [[Int32]]) -> (z: [Float], t: Int, positions: [Int]) {
        let (ids, t, positions) = batch(texts)
        body.forwardHidden(tokens: ids, b: texts.count, t: t)
        return (head.forward(hidden: body.hidden.pointer, positions: positions, t: t), t, positions)
    }

    /// p(happy) for each text (token ids), `batch` texts at a time.
    public func probabilities(_ texts: [[Int32]], batch: Int = 32) -> [Float] {
        classLogits(texts, batch: batch).map { RewardModel.pHappy(sad: $0.sad, happy: $0.happy) }
    }

    /// log p(happy) and log p(sad) for each text, exact where p itself would round to 0 or 1.
    public func logProbabilities(_ texts: [[Int32]], batch: Int = 32) -> [(happy: Float, sad: Float)] {
        classLogits(texts, batch: batch).map(RewardModel.logProbabilities)
    }

    /// log p(happy) and log p(sad) of each text as `logProbabilities` gives them and, from the same
    /// forward, the happy-minus-sad logit margin of each of its prefixes (element i reads the
    /// text's first i + 1 tokens): how happy the text looks as it is read.
    public func logProbabilitiesAndPrefixMargins(_ texts: [[Int32]], batch: Int = 32)
        -> (scores: [(happy: Float, sad: Float)], prefixMargins: [[Float]]) {
        var margins: [[Float]] = []
        margins.reserveCapacity(texts.count)
        let logits = classLogits(texts, batch: batch) { count, t, positions in
            let z = self.head.prefixForward(hidden: self.body.hidden.pointer, b: count, t: t)
            for (row, last) in positions.enumerated() {
                margins.append((0...last).map { z[(row * t + $0) * 2 + 1] - z[(row * t + $0) * 2] })
            }
        }
        return (logits.map(RewardModel.logProbabilities), margins)
    }

    /// The two class logits of each text, `batch` texts at a time; `alsoRead` sees the body's
    /// hidden states of each batch (its size, padded length and last positions) before the next.
    func classLogits(_ texts: [[Int32]], batch: Int,
                     alsoRead: ((Int, Int, [Int]) -> Void)? = nil) -> [(sad: Float, happy: Float)] {
        var result: [(sad: Float, happy: Float)] = []
        result.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: batch) {
            let chunk = Array(texts[start..<min(texts.count, start + batch)])
            let (z, t, positions) = logits(chunk)
            for i in 0..<z.count / 2 { result.append((z[2 * i], z[2 * i + 1])) }
            alsoRead?(chunk.count, t, positions)
        }
        return result
    }

    /// log p(happy) and log p(sad) from the two class logits.
    static func logProbabilities(_ z: (sad: Float, happy: Float)) -> (happy: Float, sad: Float) {
        (logSigmoid(z.happy - z.sad), logSigmoid(z.sad - z.happy))
    }

    /// log(1 / (1 + exp(-x))) without overflow.
    static func logSigmoid(_ x: Float) -> Float {
        let d = Double(x)
        return Float(d > 0 ? -log1p(exp(-d)) : d - log1p(exp(d)))
    }

    /// softmax(sad, happy)[happy], computed stably.
    static func pHappy(sad: Float, happy: Float) -> Float { 1 / (1 + Float(exp(Double(sad - happy)))) }
}
