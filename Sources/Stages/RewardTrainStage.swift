import Artifacts
import Foundation
import NN

/// reward-train: the pretrained model with its language-model head replaced by a 2-way
/// classification head on the mean (or, as the seed, the last) of the final hidden states, trained
/// on label-import's soft targets (neutral = 0.5) with early stopping on the validation loss,
/// keeping the best weights; resumable from a checkpoint after every epoch.
///
/// Output: `model.safetensors` (body and `score.*`), `config.json`, `metrics.jsonl` (per epoch:
/// train and valid loss and accuracy), `eval.json` (accuracy on happy/sad, Brier score, a 10-bin
/// reliability table, the confusion matrix, and the p(happy) spread of the pretrained model's own
/// samples), `scores.jsonl` (p(happy) per validation passage) and `pretrained_samples.jsonl`.
public struct RewardTrainStage: Stage {
    public let name = "reward-train"
    public let version = 4
    public let summary = "fine-tunes the pretrained model into a sentiment classifier (the reward model)"
    public let params = [
        ParamSpec("pooling", .choice(Classifier.Pooling.allCases.map(\.rawValue)), default: .string("mean"),
                  help: "what the head reads: the mean of the hidden states, or the last token's (the seed)"),
        ParamSpec("batch", .int, default: .int(16)),
        ParamSpec("epochs", .int, default: .int(10)),
        ParamSpec("lr", .number, default: .double(2e-4), help: "peak learning rate of the body and the head"),
        ParamSpec("embedding_lr", .number, default: .double(1e-3),
                  help: "peak learning rate of the token embedding (wte), which the short labelled set moves too slowly at lr"),
        ParamSpec("schedule", .choice(["cosine", "noam"]), default: .string("cosine"),
                  help: "warmup then cosine decay to lr/10, or the seed's AttentionScheduler shape peaking at lr"),
        ParamSpec("warmup_fraction", .number, default: .double(0.05)),
        ParamSpec("weight_decay", .number, default: .double(0.01)),
        ParamSpec("dropout", .number, default: .double(0.1)),
        ParamSpec("label_smoothing", .number, default: .double(0),
                  help: "train towards targets pulled this far to 0.5 (happy 1 - s/2, sad s/2), so the model stays calibrated longer"),
        ParamSpec("grad_clip", .number, default: .double(1)),
        ParamSpec("patience", .int, default: .int(4), help: "stop after this many consecutive rises of the valid loss"),
        ParamSpec("probe_samples", .int, default: .int(128),
                  help: "completions of the pretrained model (from \"\\n\", temperature 1) scored to report their p(happy) spread; 0 skips"),
        ParamSpec("probe_tokens", .int, default: .int(64), help: "tokens per probe completion"),
    ]
    public let inputs = [InputSpec("pretrain", .stage), InputSpec("labels", .stage, help: "the label-import stage"),
                         InputSpec("tokens", .stage, help: "the tokenize stage (to decode the probe completions)")]
    public let usesSeed = true

    public init() {}

    public func run(_ context: StageContext) throws {
        try RewardTrainRun(context).train()
    }
}

/// One reward-model training run; its state is what a checkpoint holds.
final class RewardTrainRun {
    struct Example { let ids: [Int32]; let target: Float; let sentiment: String; let text: String }

    let context: StageContext
    let p: StageParams
    let trainSet: [Example], valid: [Example]
    let labelContext: Int
    let body: GPT, head: Classifier, model: RewardModel
    let bodyOptimizer: AdamW, headOptimizer: AdamW
    let batch: Int, epochs: Int
    let schedule: LearningRate

    /// Epochs finished so far.
    var epoch = 0
    var step = 0
    var best: (loss: Float, epoch: Int, params: [Float])
    var lastValid = Float.infinity, rises = 0
    var metrics = ""

    static func examples(_ json: JSON?) -> [Example] {
        (json?.arrayValue ?? []).map { e in
            Example(ids: e["ids"]!.arrayValue!.map { Int32($0.intValue!) }, target: Float(e["target"]!.doubleValue!),
                    sentiment: e["sentiment"]!.stringValue!, text: e["text"]!.stringValue!)
        }
    }

    init(_ context: StageContext) throws {
        self.context = context
        p = context.params
        let labels = try JSON.parse(Data(contentsOf: context.input("labels").appendingPathComponent("labels.json")))
        labelContext = Int(labels["context"]!.intValue!)
        trainSet = RewardTrainRun.examples(labels["train"])
        valid = RewardTrainRun.examples(labels["valid"])
        guard !trainSet.isEmpty else { throw PipelineError.badInput("reward-train: label-import produced no training examples") }
        guard p.double("lr") > 0, p.double("embedding_lr") >= 0 else {
            throw PipelineError.badInput("reward-train: lr must be above 0 and embedding_lr at least 0")
        }
        guard (0...1).contains(p.double("label_smoothing")) else {
            throw PipelineError.badInput("reward-train.label_smoothing must be between 0 and 1")
        }
        body = try GPT.load(from: context.input("pretrain").appendingPathComponent("model.safetensors"),
                            seed: context.seed(for: "dropout"), dropout: p.double("dropout"))
        guard labelContext <= body.config.contextLength else {
            throw PipelineError.badInput("reward-train: label context \(labelContext) is longer than the model's \(body.config.contextLength)")
        }
        head = Classifier(classes: 2, dModel: body.config.dModel, pooling: Classifier.Pooling(rawValue: p.string("pooling"))!,
                          seed: context.seed(for: "head"))
        model = RewardModel(body: body, head: head, context: labelContext)
        let settings = AdamW.Settings(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: Float(p.double("weight_decay")))
        bodyOptimizer = AdamW(layout: body.layout, settings: settings,
                              learningRateScales: ["wte.weight": Float(p.double("embedding_lr") / p.double("lr"))])
        headOptimizer = AdamW(layout: head.layout, settings: settings)
        batch = max(1, min(p.int("batch"), trainSet.count))
        epochs = max(1, p.int("epochs"))
        let totalSteps = (trainSet.count + batch - 1) / batch * epochs
        let warmup = max(1, Int(p.double("warmup_fraction") * Double(totalSteps)))
        schedule = p.string("schedule") == "noam"
            // Noam peaks at step `warmup` at lrMul / sqrt(dModel * warmup).
            ? .noam(lrMul: p.double("lr") * Double(body.config.dModel * warmup).squareRoot(), dModel: body.config.dModel, warmupSteps: warmup)
            : .warmupCosine(peak: p.double("lr"), floor: p.double("lr") * 0.1, warmupSteps: warmup, totalSteps: totalSteps)
        best = (.infinity, 0, body.params.array + head.params.array)
    }

    func train() throws {
        if let checkpoint = try TrainingCheckpoint.load(in: context.workDirectory) {
            try restore(checkpoint)
            context.progress("resuming after epoch \(epoch) of \(epochs)")
        }
        while epoch < epochs && rises < p.int("patience") {
            try trainEpoch()
            evaluate()
            try save()
        }
        try writeOutputs()
    }

    func trainEpoch() throws {
        epoch += 1
        var order = Array(0..<trainSet.count)
        var rng = Xoshiro256(seed: context.seed(for: "epoch-\(epoch)"))
        rng.shuffle(&order)
        body.training = true
        defer { body.training = false }
        for start in stride(from: 0, to: trainSet.count, by: batch) {
            let rows = order[start..<min(trainSet.count, start + batch)].map { trainSet[$0] }
            let smoothing = Float(p.double("label_smoothing"))
            let targets = rows.flatMap { row -> [Float] in
                let happy = row.target * (1 - smoothing) + 0.5 * smoothing
                return [1 - happy, happy]
            }
            body.zeroGradients(); head.grads.zero()
            let (logits, t, _) = model.logits(rows.map(\.ids))
            let loss = head.loss(logits: logits, targets: targets)
            guard loss.isFinite else {
                throw PipelineError.failed("reward-train: the loss became \(loss) at step \(step + 1); the last good checkpoint is kept in \(context.workDirectory.path). Lower reward-train.lr and run again")
            }
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
    }

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

    /// Losses and accuracies after an epoch; early-stopping bookkeeping.
    func evaluate() {
        let (trainLoss, trainAccuracy) = lossAndAccuracy(trainSet), (validLoss, validAccuracy) = lossAndAccuracy(valid)
        metrics += JSON.object([("epoch", .int(Int64(epoch))), ("train_loss", number(trainLoss)), ("train_accuracy", number(trainAccuracy)),
                                ("valid_loss", number(validLoss)), ("valid_accuracy", number(validAccuracy))]).canonical + "\n"
        context.progress(String(format: "epoch %d: train loss %.4f, valid loss %.4f, valid accuracy %.3f", epoch, trainLoss, validLoss, validAccuracy))
        let score = valid.isEmpty ? trainLoss : validLoss
        if score < best.loss { best = (score, epoch, body.params.array + head.params.array) }
        rises = score > lastValid ? rises + 1 : 0
        lastValid = score
    }

    func save() throws {
        var state: [(String, JSON)] = [
            ("epoch", .int(Int64(epoch))), ("step", .int(Int64(step))), ("best_epoch", .int(Int64(best.epoch))),
            ("rises", .int(Int64(rises))), ("adam_step", .int(Int64(bodyOptimizer.step))), ("dropout_rng", body.dropoutRNG.json),
        ]
        if best.loss.isFinite { state.append(("best_loss", .double(Double(best.loss)))) }
        if lastValid.isFinite { state.append(("last_valid", .double(Double(lastValid)))) }
        try TrainingCheckpoint(params: FloatBuffer(body.params.array + head.params.array), best: FloatBuffer(best.params),
                               m: FloatBuffer(bodyOptimizer.m.array + headOptimizer.m.array),
                               v: FloatBuffer(bodyOptimizer.v.array + headOptimizer.v.array),
                               state: .object(state), metrics: metrics, samples: "").save(in: context.workDirectory)
    }

    func restore(_ c: TrainingCheckpoint) throws {
        guard c.params.count == body.params.count + head.params.count, let bestParams = c.best,
              let dropout = Xoshiro256(json: c.state["dropout_rng"]) else {
            throw PipelineError.failed("the checkpoint in \(context.workDirectory.path) does not fit this model; delete it to start afresh")
        }
        RewardTrainRun.split(c.params.array, into: body.params, head.params)
        RewardTrainRun.split(c.m.array, into: bodyOptimizer.m, headOptimizer.m)
        RewardTrainRun.split(c.v.array, into: bodyOptimizer.v, headOptimizer.v)
        epoch = Int(c.state["epoch"]!.intValue!)
        step = Int(c.state["step"]!.intValue!)
        rises = Int(c.state["rises"]!.intValue!)
        bodyOptimizer.step = Int(c.state["adam_step"]!.intValue!)
        headOptimizer.step = bodyOptimizer.step
        body.dropoutRNG = dropout
        best = (c.state["best_loss"]?.doubleValue.map(Float.init) ?? .infinity, Int(c.state["best_epoch"]!.intValue!), bestParams.array)
        lastValid = c.state["last_valid"]?.doubleValue.map(Float.init) ?? .infinity
        metrics = c.metrics
    }

    /// Copies `values` into the body buffer and then the head buffer.
    static func split(_ values: [Float], into first: FloatBuffer, _ second: FloatBuffer) {
        values.withUnsafeBufferPointer { v in
            first.pointer.update(from: v.baseAddress!, count: first.count)
            second.pointer.update(from: v.baseAddress! + first.count, count: second.count)
        }
    }

    func writeOutputs() throws {
        RewardTrainRun.split(best.params, into: body.params, head.params)
        let probs = model.probabilities(valid.map(\.ids))
        let out = context.outputDirectory
        var file = body.safeTensors(metadata: ["stage": "reward-train", "reward_context": String(labelContext),
                                               "reward_pooling": head.pooling.rawValue, "best_epoch": String(best.epoch)])
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
        var report = evaluation.json
        context.setSummary("valid_accuracy", number(evaluation.accuracy))
        context.setSummary("brier", number(evaluation.brier))
        context.setSummary("best_epoch", .int(Int64(best.epoch)))
        if p.int("probe_samples") > 0 {
            report = report.setting("pretrained_samples", to: try probePretrainedSamples())
        }
        try Data(report.pretty.utf8).write(to: out.appendingPathComponent("eval.json"))
    }

    /// How happy the pretrained model's own writing looks to the new reward model: the spread PPO
    /// starts from. Writes `pretrained_samples.jsonl` and returns the summary for `eval.json`.
    func probePretrainedSamples() throws -> JSON {
        let pretrained = try GPT.load(from: context.input("pretrain").appendingPathComponent("model.safetensors"))
        let vocabulary = try Vocabulary.read(from: context.input("tokens").appendingPathComponent("vocab.json"))
        let probe = ScoredCompletions(policy: pretrained, reward: model, prompt: [Int32(vocabulary.id(Token("\n")))],
                                      count: p.int("probe_samples"), length: max(1, p.int("probe_tokens")), seed: context.seed(for: "probe"))
        var lines = ""
        for (ids, q) in zip(probe.tokens, probe.pHappy) {
            lines += JSON.object([("ids", .array(ids.map { .int(Int64($0)) })), ("text", .string(vocabulary.decode(ids.map { UInt32($0) }))),
                                  ("p_happy", .double(Double(q)))]).canonical + "\n"
        }
        try Data(lines.utf8).write(to: context.outputDirectory.appendingPathComponent("pretrained_samples.jsonl"))
        context.setSummary("pretrained_p_happy_mean", .double(probe.mean))
        context.setSummary("pretrained_p_happy_std", .double(probe.standardDeviation))
        return .object([("count", .int(Int64(probe.pHappy.count))), ("tokens", .int(Int64(probe.tokens.first?.count ?? 0))),
                        ("mean_p_happy", .double(probe.mean)), ("std_p_happy", .double(probe.standardDeviation))])
    }
}
