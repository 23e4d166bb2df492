import Artifacts
import Foundation
import NN

/// reward-train: the pretrained model with its language-model head replaced by a 2-way
/// classification head on the mean (or, as the seed, the last) of the final hidden states, trained on label-import's soft targets (neutral = 0.5)
/// with early stopping on the validation loss, keeping the best weights.
///
/// Output: `model.safetensors` (body and `score.*`), `config.json`, `metrics.jsonl` (per epoch:
/// train and valid loss and accuracy), `eval.json` (accuracy on happy/sad, Brier score, a 10-bin
/// reliability table, the confusion matrix) and `scores.jsonl` (p(happy) per validation passage).
public struct RewardTrainStage: Stage {
    public let name = "reward-train"
    public let version = 2
    public let summary = "fine-tunes the pretrained model into a sentiment classifier (the reward model)"
    public let params = [
        ParamSpec("pooling", .choice(Classifier.Pooling.allCases.map(\.rawValue)), default: .string("mean"),
                  help: "what the head reads: the mean of the hidden states, or the last token's (the seed)"),
        ParamSpec("batch", .int, default: .int(16)),
        ParamSpec("epochs", .int, default: .int(10)),
        ParamSpec("lr", .number, default: .double(1e-4)),
        ParamSpec("warmup_fraction", .number, default: .double(0.05)),
        ParamSpec("weight_decay", .number, default: .double(0.01)),
        ParamSpec("dropout", .number, default: .double(0.1)),
        ParamSpec("grad_clip", .number, default: .double(1)),
        ParamSpec("patience", .int, default: .int(4), help: "stop after this many consecutive rises of the valid loss"),
    ]
    public let inputs = [InputSpec("pretrain", .stage), InputSpec("labels", .stage, help: "the label-import stage")]
    public let usesSeed = true

    public init() {}

    struct Example { let ids: [Int32]; let target: Float; let sentiment: String; let text: String }

    static func examples(_ json: JSON?) -> [Example] {
        (json?.arrayValue ?? []).map { e in
            Example(ids: e["ids"]!.arrayValue!.map { Int32($0.intValue!) }, target: Float(e["target"]!.doubleValue!),
                    sentiment: e["sentiment"]!.stringValue!, text: e["text"]!.stringValue!)
        }
    }

    public func run(_ context: StageContext) throws {
        let p = context.params
        let labels = try JSON.parse(Data(contentsOf: context.input("labels").appendingPathComponent("labels.json")))
        let ctx = Int(labels["context"]!.intValue!)
        let train = RewardTrainStage.examples(labels["train"]), valid = RewardTrainStage.examples(labels["valid"])
        guard !train.isEmpty else { throw PipelineError.badInput("reward-train: label-import produced no training examples") }
        let body = try GPT.load(from: context.input("pretrain").appendingPathComponent("model.safetensors"),
                                seed: context.seed(for: "dropout"), dropout: p.double("dropout"))
        guard ctx <= body.config.contextLength else {
            throw PipelineError.badInput("reward-train: label context \(ctx) is longer than the model's \(body.config.contextLength)")
        }
        let pooling = Classifier.Pooling(rawValue: p.string("pooling"))!
        let head = Classifier(classes: 2, dModel: body.config.dModel, pooling: pooling, seed: context.seed(for: "head"))
        let model = RewardModel(body: body, head: head, context: ctx)
        let settings = AdamW.Settings(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: Float(p.double("weight_decay")))
        let bodyOptimizer = AdamW(layout: body.layout, settings: settings), headOptimizer = AdamW(layout: head.layout, settings: settings)
        let batch = max(1, min(p.int("batch"), train.count))
        let stepsPerEpoch = (train.count + batch - 1) / batch
        let totalSteps = stepsPerEpoch * max(1, p.int("epochs"))
        let schedule = LearningRate.warmupCosine(peak: p.double("lr"), floor: p.double("lr") * 0.1,
                                                 warmupSteps: max(1, Int(p.double("warmup_fraction") * Double(totalSteps))), totalSteps: totalSteps)
        var metrics = ""
        var best = (loss: Float.infinity, epoch: 0, body: body.params.array, head: head.params.array)
        var lastValid = Float.infinity, rises = 0, step = 0

        func lossAndAccuracy(_ set: [Example]) -> (Float, Float) {
            guard !set.isEmpty else { return (.nan, .nan) }
            let probs = model.probabilities(set.map(\.ids))
            var loss: Double = 0
            for (e, q) in zip(set, probs) {
                let qq = Double(min(max(q, 1e-7), 1 - 1e-7))
                loss -= Double(e.target) * log(qq) + Double(1 - e.target) * log(1 - qq)
            }
            let accuracy = RewardEvaluation.accuracy(sentiments: set.map(\.sentiment), probabilities: probs)?.value ?? .nan
            return (Float(loss / Double(set.count)), accuracy)
        }

        for epoch in 1...max(1, p.int("epochs")) {
            var order = Array(0..<train.count)
            var rng = Xoshiro256(seed: context.seed(for: "epoch-\(epoch)"))
            rng.shuffle(&order)
            body.training = true
            for start in stride(from: 0, to: train.count, by: batch) {
                let rows = order[start..<min(train.count, start + batch)].map { train[$0] }
                let targets = rows.flatMap { [1 - $0.target, $0.target] }
                body.zeroGradients(); head.grads.zero()
                let (logits, t) = model.logits(rows.map(\.ids))
                let loss = head.loss(logits: logits, targets: targets)
                guard loss.isFinite else { throw PipelineError.failed("reward-train: the loss became \(loss) at step \(step + 1); lower reward-train.lr") }
                body.hiddenGradient.zero()
                head.backward(targets: targets, dhidden: body.hiddenGradient.pointer, t: t)
                body.backwardHidden()
                clipGradientNorm(body.grads, maxNorm: Float(p.double("grad_clip")))
                clipGradientNorm(head.grads, maxNorm: Float(p.double("grad_clip")))
                step += 1
                let lr = schedule.at(step: step)
                bodyOptimizer.update(params: body.params, grads: body.grads, lr: lr)
                headOptimizer.update(params: head.params, grads: head.grads, lr: lr)
            }
            body.training = false
            let (trainLoss, trainAccuracy) = lossAndAccuracy(train), (validLoss, validAccuracy) = lossAndAccuracy(valid)
            metrics += JSON.object([("epoch", .int(Int64(epoch))), ("train_loss", number(trainLoss)), ("train_accuracy", number(trainAccuracy)),
                                    ("valid_loss", number(validLoss)), ("valid_accuracy", number(validAccuracy))]).canonical + "\n"
            context.progress(String(format: "epoch %d: train loss %.4f, valid loss %.4f, valid accuracy %.3f", epoch, trainLoss, validLoss, validAccuracy))
            let score = valid.isEmpty ? trainLoss : validLoss
            if score < best.loss { best = (score, epoch, body.params.array, head.params.array) }
            rises = score > lastValid ? rises + 1 : 0
            lastValid = score
            if rises >= p.int("patience") { break }
        }

        // The best weights, evaluated on the validation set.
        best.body.withUnsafeBufferPointer { body.params.pointer.update(from: $0.baseAddress!, count: best.body.count) }
        best.head.withUnsafeBufferPointer { head.params.pointer.update(from: $0.baseAddress!, count: best.head.count) }
        let probs = model.probabilities(valid.map(\.ids))
        let out = context.outputDirectory
        var file = body.safeTensors(metadata: ["stage": "reward-train", "reward_context": String(ctx), "reward_pooling": pooling.rawValue,
                                               "best_epoch": String(best.epoch)])
        for (name, tensor) in head.tensors { file.tensors[name] = tensor }
        try file.write(out.appendingPathComponent("model.safetensors"))
        try JSONEncoder.sortedPretty.encode(body.config).write(to: out.appendingPathComponent("config.json"))
        try Data(metrics.utf8).write(to: out.appendingPathComponent("metrics.jsonl"))
        var scores = ""
        for (e, q) in zip(valid, probs) {
            scores += JSON.object([("text", .string(e.text)), ("sentiment", .string(e.sentiment)), ("p_happy", .double(Double(q)))]).canonical + "\n"
        }
        try Data(scores.utf8).write(to: out.appendingPathComponent("scores.jsonl"))
        let evaluation = RewardEvaluation(targets: valid.map(\.target), sentiments: valid.map(\.sentiment), probabilities: probs)
        try Data(evaluation.json.pretty.utf8).write(to: out.appendingPathComponent("eval.json"))
        context.setSummary("valid_accuracy", number(evaluation.accuracy))
        context.setSummary("brier", number(evaluation.brier))
        context.setSummary("best_epoch", .int(Int64(best.epoch)))
    }
}

/// A number, or null when it is not finite (JSON has no NaN).
func number(_ x: Float) -> JSON { x.isFinite ? .double(Double(x)) : .null }

/// Validation metrics of a reward model: accuracy on happy/sad (p > 0.5 means happy), the Brier
/// score against the soft targets, a 10-bin reliability table and the confusion matrix.
struct RewardEvaluation {
    let targets: [Float], sentiments: [String], probabilities: [Float]

    var accuracy: Float { RewardEvaluation.accuracy(sentiments: sentiments, probabilities: probabilities)?.value ?? .nan }

    /// Accuracy on the happy and sad texts (p(happy) > 0.5 means happy) and how many there were;
    /// nil when there are none. Neutral and unlabelled texts do not count.
    static func accuracy(sentiments: [String?], probabilities: [Float]) -> (value: Float, labelled: Int)? {
        let labelled = zip(sentiments, probabilities).filter { $0.0 == "happy" || $0.0 == "sad" }
        guard !labelled.isEmpty else { return nil }
        return (Float(labelled.filter { ($0.1 > 0.5) == ($0.0 == "happy") }.count) / Float(labelled.count), labelled.count)
    }

    var brier: Float {
        guard !targets.isEmpty else { return .nan }
        return zip(targets, probabilities).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) } / Float(targets.count)
    }

    var json: JSON {
        var bins: [JSON] = []
        for bin in 0..<10 {
            let lo = Float(bin) / 10, hi = Float(bin + 1) / 10
            let members = zip(targets, probabilities).filter { $0.1 >= lo && ($0.1 < hi || (bin == 9 && $0.1 <= 1)) }
            let n = Float(members.count)
            bins.append(.object([("from", .double(Double(bin) / 10)), ("to", .double(Double(bin + 1) / 10)), ("count", .int(Int64(members.count))),
                                 ("mean_p_happy", n > 0 ? .double(Double(members.reduce(0) { $0 + $1.1 } / n)) : .null),
                                 ("mean_target", n > 0 ? .double(Double(members.reduce(0) { $0 + $1.0 } / n)) : .null)]))
        }
        var confusion: [(String, JSON)] = []
        for truth in ["happy", "sad", "neutral"] {
            let rows = zip(sentiments, probabilities).filter { $0.0 == truth }
            confusion.append((truth, .object([("predicted_happy", .int(Int64(rows.filter { $0.1 > 0.5 }.count))),
                                              ("predicted_sad", .int(Int64(rows.filter { $0.1 <= 0.5 }.count)))])))
        }
        return .object([("accuracy_happy_sad", number(accuracy)), ("brier", number(brier)),
                        ("examples", .int(Int64(targets.count))), ("reliability", .array(bins)), ("confusion", .object(confusion))])
    }
}
