import Artifacts
import Foundation
import NN

/// pretrain: the language model, trained on the split's sequences with early stopping on the
/// validation loss; resumable from checkpoints in the stage's work folder.
///
/// Output: `model.safetensors` (the best-validation weights), `config.json`, `metrics.jsonl`
/// (per step: train loss and learning rate; per evaluation: valid loss, perplexity, accuracy) and
/// `samples.txt` (per evaluation: 200 tokens from "\n", temperature 1, top-k 10).
public struct PretrainStage: Stage {
    public let name = "pretrain"
    public let version = 1
    public let summary = "trains the language model, keeping the best validation weights"
    public let params = [
        ParamSpec("d_model", .int, default: .int(256)),
        ParamSpec("n_layers", .int, default: .int(4)),
        ParamSpec("n_heads", .int, default: .int(4)),
        ParamSpec("d_ff", .int, default: .int(1024)),
        ParamSpec("dropout", .number, default: .double(0.1)),
        ParamSpec("positions", .choice(["learned", "sinusoidal"]), default: .string("learned")),
        ParamSpec("tied_head", .bool, default: .bool(false)),
        ParamSpec("batch", .int, default: .int(32)),
        ParamSpec("epochs", .number, default: .double(1), help: "passes over the training sequences (fractions allowed)"),
        ParamSpec("max_steps", .int, default: .int(0), help: "stop after this many steps; 0 for no limit"),
        ParamSpec("lr", .number, default: .double(1e-3), help: "peak learning rate (cosine schedule)"),
        ParamSpec("schedule", .choice(["cosine", "noam"]), default: .string("cosine"),
                  help: "warmup then cosine decay, or the seed's AttentionScheduler"),
        ParamSpec("warmup_fraction", .number, default: .double(0.05)),
        ParamSpec("min_lr_fraction", .number, default: .double(0.1), help: "cosine floor as a fraction of lr"),
        ParamSpec("lr_mul", .number, default: .double(0.3), help: "the Noam schedule's multiplier"),
        ParamSpec("beta1", .number, default: .double(0.9)),
        ParamSpec("beta2", .number, default: .double(0.99)),
        ParamSpec("epsilon", .number, default: .double(1e-8)),
        ParamSpec("weight_decay", .number, default: .double(0.1), help: "on matrices only"),
        ParamSpec("grad_clip", .number, default: .double(1)),
        ParamSpec("eval_every", .int, default: .int(0), help: "steps between evaluations; 0 for once per epoch"),
        ParamSpec("eval_sequences", .int, default: .int(0), help: "validation sequences per evaluation; 0 for all"),
        ParamSpec("patience", .int, default: .int(4), help: "stop after this many consecutive rises of the valid loss"),
        ParamSpec("sample_tokens", .int, default: .int(200)),
        Precision.param(default: "float32",
                        help: "of the linear layers' products in training: bfloat16 (oneDNN, needs AMX or AVX-512 BF16) trained the default 1.4-1.5x faster than float32 on such a CPU; auto picks bfloat16 where the CPU has it and float32 elsewhere, and the lock file records which; evaluation is float32 either way"),
        ParamSpec("checkpoint_every", .int, default: .int(0), help: "steps between checkpoints (besides every evaluation and every few minutes)"),
    ]
    public let inputs = [InputSpec("split", .stage), InputSpec("tokens", .stage, help: "the tokenize stage (vocabulary)")]
    public let usesSeed = true

    public init() {}

    public func run(_ context: StageContext) throws {
        try PretrainRun(context).train()
    }
}

/// One pretraining run; its state is what a checkpoint holds.
final class PretrainRun {
    let context: StageContext
    let p: StageParams
    let model: GPT
    let optimizer: AdamW
    let vocabulary: Vocabulary
    let trainSet: SequenceSet, valid: SequenceSet
    let batch: Int, stepsPerEpoch: Int, totalSteps: Int, evalEvery: Int
    let schedule: LearningRate

    var step = 0
    let best: FloatBuffer
    var bestLoss = Float.infinity
    var bestStep = 0
    var rises = 0
    var lastValid = Float.infinity
    var stoppedEarly = false
    var metrics = ""
    var samples = ""

    init(_ context: StageContext) throws {
        self.context = context
        p = context.params
        let splitDir = context.input("split"), tokensDir = context.input("tokens")
        let splitInfo = try JSON.parse(Data(contentsOf: splitDir.appendingPathComponent("split.json")))
        guard let ctx = splitInfo["context"]?.intValue else { throw PipelineError.failed("split.json has no context") }
        vocabulary = try Vocabulary.read(from: tokensDir.appendingPathComponent("vocab.json"))
        trainSet = try SequenceSet(file: splitDir.appendingPathComponent("train.bin"), width: Int(ctx) + 1)
        valid = try SequenceSet(file: splitDir.appendingPathComponent("valid.bin"), width: Int(ctx) + 1)

        let config = GPTConfig(vocabSize: vocabulary.count, contextLength: Int(ctx), dModel: p.int("d_model"),
                               nHeads: p.int("n_heads"), nLayers: p.int("n_layers"), dFF: p.int("d_ff"),
                               dropout: p.double("dropout"), positions: GPTConfig.Positions(rawValue: p.string("positions"))!,
                               tiedHead: p.bool("tied_head"))
        if let problem = config.problem { throw PipelineError.badInput("pretrain: \(problem)") }
        batch = p.int("batch")
        guard batch >= 1, trainSet.count >= batch else {
            throw PipelineError.badInput("pretrain.batch (\(batch)) must be between 1 and the number of training sequences (\(trainSet.count))")
        }
        stepsPerEpoch = trainSet.count / batch
        var total = Int((p.double("epochs") * Double(stepsPerEpoch)).rounded(.up))
        if p.int("max_steps") > 0 { total = min(total, p.int("max_steps")) }
        totalSteps = max(1, total)
        evalEvery = p.int("eval_every") > 0 ? p.int("eval_every") : stepsPerEpoch
        let warmup = max(1, Int(p.double("warmup_fraction") * Double(totalSteps)))
        schedule = p.string("schedule") == "noam"
            ? .noam(lrMul: p.double("lr_mul"), dModel: config.dModel, warmupSteps: warmup)
            : .warmupCosine(peak: p.double("lr"), floor: p.double("lr") * p.double("min_lr_fraction"), warmupSteps: warmup, totalSteps: totalSteps)

        model = GPT(config: config, seed: context.seed(for: "init"))
        model.precision = try Precision.checked(p.string("precision"), param: "pretrain.precision")
        optimizer = AdamW(layout: model.layout, settings: .init(beta1: Float(p.double("beta1")), beta2: Float(p.double("beta2")),
                                                              epsilon: Float(p.double("epsilon")), weightDecay: Float(p.double("weight_decay"))))
        best = FloatBuffer(count: model.params.count)
        best.copy(from: model.params)
    }

    /// The training order of epoch `epoch`: a permutation drawn from the stage seed.
    func order(epoch: Int) -> [Int] {
        var rng = Xoshiro256(seed: context.seed(for: "epoch-\(epoch)"))
        var rows = Array(0..<trainSet.count)
        rng.shuffle(&rows)
        return rows
    }

    func train() throws {
        let work = context.workDirectory
        if let checkpoint = try TrainingCheckpoint.load(in: work) {
            try restore(checkpoint)
            context.progress("resuming at step \(step) of \(totalSteps)")
        }
        let t = trainSet.width - 1
        var lastCheckpoint = Date()
        var epochOrder = order(epoch: step / stepsPerEpoch)
        var epochOfOrder = step / stepsPerEpoch
        var tokensSince = 0, since = Date()
        model.training = true
        while step < totalSteps && !stoppedEarly {
            let epoch = step / stepsPerEpoch
            if epoch != epochOfOrder { epochOrder = order(epoch: epoch); epochOfOrder = epoch }
            let position = step % stepsPerEpoch
            let (x, y) = trainSet.batch(epochOrder[(position * batch)..<((position + 1) * batch)])
            let lr = schedule.at(step: step + 1)
            model.zeroGradients()
            let loss = model.forward(tokens: x, targets: y, b: batch, t: t)!
            guard loss.isFinite else {
                throw PipelineError.failed("pretrain: the training loss became \(loss) at step \(step + 1); the last good checkpoint is kept in \(work.path). Lower pretrain.lr (now \(p.double("lr"))) and run again")
            }
            model.backward()
            if p.double("grad_clip") > 0 { clipGradientNorm(model.grads, maxNorm: Float(p.double("grad_clip"))) }
            optimizer.update(params: model.params, grads: model.grads, lr: lr)
            step += 1
            metrics += JSON.object([("step", .int(Int64(step))), ("train_loss", .double(Double(loss))), ("lr", .double(Double(lr)))]).canonical + "\n"

            tokensSince += batch * t
            let elapsed = Date().timeIntervalSince(since)
            if elapsed > 2 || step == totalSteps {
                let rate = Double(tokensSince) / max(elapsed, 1e-9)
                let eta = Double((totalSteps - step) * batch * t) / max(rate, 1e-9)
                context.progress(String(format: "epoch %d step %d/%d  loss %.3f  lr %.2e  %.0f tokens/s  ETA %@",
                                        epoch + 1, step, totalSteps, loss, lr, rate, formatDuration(eta) as NSString))
                tokensSince = 0; since = Date()
            }

            if step % evalEvery == 0 || step == totalSteps {
                try evaluate(epoch: epoch)
                model.training = true
                try save(); lastCheckpoint = Date()
            } else if (p.int("checkpoint_every") > 0 && step % p.int("checkpoint_every") == 0) || Date().timeIntervalSince(lastCheckpoint) > 300 {
                try save(); lastCheckpoint = Date()
            }
        }
        try writeOutputs()
    }

    /// Valid loss, perplexity and next-token accuracy; early-stopping bookkeeping; a sample.
    func evaluate(epoch: Int) throws {
        model.training = false
        // Scored in float32, as every later stage uses the weights.
        let trainingPrecision = model.precision
        model.precision = .float32
        defer { model.precision = trainingPrecision }
        let t = valid.width - 1
        let limit = p.int("eval_sequences") > 0 ? min(p.int("eval_sequences"), valid.count) : valid.count
        var total: Double = 0, right = 0, count = 0
        var start = 0
        while start < limit {
            let rows = Array(start..<min(limit, start + batch))
            let (x, y) = valid.batch(rows[...])
            let loss = model.forward(tokens: x, targets: y, b: rows.count, t: t)!
            total += Double(loss) * Double(rows.count * t)
            // After a forward with targets the logits buffer holds exp(logit - max): same argmax.
            let v = model.config.vocabSize, scores = model.logits.pointer
            for i in 0..<(rows.count * t) {
                var best = 0
                var bestValue = scores[i * v]
                for j in 1..<v where scores[i * v + j] > bestValue { bestValue = scores[i * v + j]; best = j }
                if best == Int(y[i]) { right += 1 }
            }
            count += rows.count * t
            start += batch
        }
        let validLoss = count > 0 ? Float(total / Double(count)) : .nan
        let accuracy = count > 0 ? Double(right) / Double(count) : 0
        metrics += JSON.object([("step", .int(Int64(step))), ("epoch", .int(Int64(epoch + 1))), ("valid_loss", .double(Double(validLoss))),
                                ("perplexity", .double(exp(Double(validLoss)))), ("accuracy", .double(accuracy))]).canonical + "\n"
        if validLoss < bestLoss {
            bestLoss = validLoss
            bestStep = step
            best.copy(from: model.params)
        }
        rises = validLoss > lastValid ? rises + 1 : 0
        lastValid = validLoss
        if rises >= p.int("patience") { stoppedEarly = true }
        context.progress(String(format: "step %d: valid loss %.4f (best %.4f at step %d), accuracy %.3f", step, validLoss, bestLoss, bestStep, accuracy))

        // A sample, unconditional from "\n".
        let newline = vocabulary.id(Token("\n"))
        var rng = Xoshiro256(seed: context.seed(for: "sample-\(step)"))
        let sampler = Sampler(model: model, batch: 1)
        let steps = min(p.int("sample_tokens"), model.config.contextLength - 1)
        let (tokens, _) = sampler.generate(prompt: [Int32(newline)], steps: steps, temperature: 1, topK: 10, rng: &rng)
        samples += "=== step \(step) (epoch \(epoch + 1)), valid loss \(String(format: "%.4f", validLoss))\n"
        samples += vocabulary.decode(tokens[0].map { UInt32($0) }) + "\n\n"
    }

    func save() throws {
        var state: [(String, JSON)] = [
            ("step", .int(Int64(step))), ("best_step", .int(Int64(bestStep))), ("rises", .int(Int64(rises))),
            ("stopped_early", .bool(stoppedEarly)), ("adam_step", .int(Int64(optimizer.step))),
            ("dropout_rng", model.dropoutRNG.json),
        ]
        if bestLoss.isFinite { state.append(("best_loss", .double(Double(bestLoss)))) }
        if lastValid.isFinite { state.append(("last_valid", .double(Double(lastValid)))) }
        try TrainingCheckpoint(params: model.params, best: best, m: optimizer.m, v: optimizer.v,
                               state: .object(state), metrics: metrics, samples: samples).save(in: context.workDirectory)
    }

    func restore(_ c: TrainingCheckpoint) throws {
        guard c.params.count == model.params.count, let bestParams = c.best, let dropout = Xoshiro256(json: c.state["dropout_rng"]) else {
            throw PipelineError.failed("the checkpoint in \(context.workDirectory.path) does not fit this model; delete it to start afresh")
        }
        for (buffer, values) in [(model.params, c.params), (optimizer.m, c.m), (optimizer.v, c.v)] { buffer.copy(from: values) }
        best.copy(from: bestParams)
        step = Int(c.state["step"]!.intValue!)
        bestStep = Int(c.state["best_step"]!.intValue!)
        rises = Int(c.state["rises"]!.intValue!)
        stoppedEarly = c.state["stopped_early"]!.boolValue!
        optimizer.step = Int(c.state["adam_step"]!.intValue!)
        model.dropoutRNG = dropout
        bestLoss = c.state["best_loss"]?.doubleValue.map(Float.init) ?? .infinity
        lastValid = c.state["last_valid"]?.doubleValue.map(Float.init) ?? .infinity
        metrics = c.metrics
        samples = c.samples
    }

    func writeOutputs() throws {
        let out = context.outputDirectory
        model.params.copy(from: best)
        try model.save(to: out.appendingPathComponent("model.safetensors"), metadata: ["stage": "pretrain", "best_step": String(bestStep)])
        let config = try JSONEncoder.sortedPretty.encode(model.config)
        try config.write(to: out.appendingPathComponent("config.json"))
        try Data(metrics.utf8).write(to: out.appendingPathComponent("metrics.jsonl"))
        try Data(samples.utf8).write(to: out.appendingPathComponent("samples.txt"))
        context.setSummary("best_valid_loss", .double(Double(bestLoss)))
        context.setSummary("best_step", .int(Int64(bestStep)))
        context.setSummary("steps", .int(Int64(step)))
        context.setSummary("stopped_early", .bool(stoppedEarly))
        context.setSummary("parameters", .int(Int64(model.layout.parameterCount)))
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}

extension JSONEncoder {
    static var sortedPretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }
}
