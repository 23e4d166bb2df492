import Artifacts
import Foundation
import NN

/// One PPO run; its state is what a checkpoint holds. Each iteration samples a rollout batch from
/// the policy, measures it (reward, KL to the original, entropy), saves the policy when sqrt(KL)
/// has grown enough, stops at `max_iterations` or `max_kl`, and otherwise takes
/// `epochs_per_batch` passes of clipped-surrogate updates over it.
///
/// Every random draw is seeded by the iteration, so a resumed run repeats the uninterrupted one.
final class PPORun {
    let context: StageContext
    let p: StageParams
    let policy: GPT, reference: GPT
    let reward: RewardModel
    let vocabulary: Vocabulary
    let optimizer: AdamW
    let sampler: Sampler
    let prompt: Int32
    let length: Int, batch: Int, minibatch: Int
    let temperature: Float, beta: Float
    /// Whether the KL penalty in the loss is the exact KL at each position instead of the sampled token's log-ratio.
    let exactPenalty: Bool

    /// Updates done so far.
    var iteration = 0
    /// The fixed reward normalisation (mean, std of the original policy's raw rewards).
    var normalization: (mean: Double, std: Double)?
    var lastSavedSqrtKL = 0.0
    var snapshots: [JSON] = []
    var lowClipIterations = 0, warnedLowClip = false
    var metrics = ""

    var checkpointsFolder: URL { context.workDirectory.appendingPathComponent("checkpoints") }

    init(_ context: StageContext) throws {
        self.context = context
        p = context.params
        let modelFile = context.input("pretrain").appendingPathComponent("model.safetensors")
        policy = try GPT.load(from: modelFile)
        reference = try GPT.load(from: modelFile)
        reward = try RewardModel(file: context.input("reward").appendingPathComponent("model.safetensors"))
        vocabulary = try Vocabulary.read(from: context.input("tokens").appendingPathComponent("vocab.json"))
        guard reward.body.config.vocabSize == policy.config.vocabSize, vocabulary.count == policy.config.vocabSize else {
            throw PipelineError.badInput("ppo: the reward model, the policy and the vocabulary disagree on the vocabulary size")
        }
        length = p.int("rollout_len")
        batch = p.int("batch")
        minibatch = p.int("minibatch")
        temperature = Float(p.double("temperature"))
        beta = Float(p.double("beta"))
        exactPenalty = p.string("kl_penalty") == "exact"
        guard !exactPenalty || p.bool("kl_in_loss") else {
            // A position's exact KL depends only on the tokens before it, so as a reward it would
            // never charge the token that causes it (a run that tried it spent 17 nats).
            throw PipelineError.badInput("ppo.kl_penalty=exact needs ppo.kl_in_loss=true: in the reward, a position's exact KL would not charge the token that causes it")
        }
        guard (1...policy.config.contextLength).contains(length) else {
            throw PipelineError.badInput("ppo.rollout_len must be between 1 and the model's context (\(policy.config.contextLength))")
        }
        guard batch >= 1, (1...batch).contains(minibatch) else { throw PipelineError.badInput("ppo: need 1 <= minibatch <= batch") }
        guard temperature > 0, p.int("epochs_per_batch") >= 1 else { throw PipelineError.badInput("ppo: temperature must be above 0 and epochs_per_batch at least 1") }
        guard (0...1).contains(p.double("gae_lambda")), p.double("gae_lambda") == 1 || p.string("baseline") == "prefix" else {
            throw PipelineError.badInput("ppo.gae_lambda must be between 0 and 1, and below 1 only with ppo.baseline=prefix (it discounts the changes that baseline measures)")
        }
        prompt = Int32(vocabulary.id(Token("\n")))
        for name in ["head_lr_scale", "embedding_lr_scale"] where p.double(name) < 0 {
            throw PipelineError.badInput("ppo.\(name) must be at least 0")
        }
        var scales: [String: Float] = [:]
        for name in ["wte.weight", "wpe.weight"] where policy.layout[name] != nil { scales[name] = Float(p.double("embedding_lr_scale")) }
        scales[policy.config.tiedHead ? "wte.weight" : "lm_head.weight"] = Float(p.double("head_lr_scale"))
        optimizer = AdamW(layout: policy.layout, settings: .init(beta1: 0.9, beta2: 0.999, epsilon: Float(p.double("adam_epsilon")), weightDecay: 0),
                          learningRateScales: scales)
        sampler = Sampler(model: policy, batch: batch)
    }

    func train() throws {
        if let checkpoint = try TrainingCheckpoint.load(in: context.workDirectory) {
            try restore(checkpoint)
            context.progress("resuming at iteration \(iteration)")
        } else {
            FileSystem.remove(checkpointsFolder)
            if p.string("reward_norm") == "fixed" { normalization = try fixedNormalization() }
        }
        let maxIterations = p.int("max_iterations"), maxKL = p.double("max_kl")
        var since = Date()
        while true {
            var rng = Xoshiro256(seed: context.seed(for: "rollout-\(iteration)"))
            let passes = minibatchOrders()
            let rollout = Rollout(policy: policy, sampler: sampler, reference: reference, reward: reward, prompt: prompt,
                                  length: length, temperature: temperature, groups: passes[0],
                                  prefixes: p.string("baseline") == "prefix", rng: &rng)
            var line = measure(rollout)
            let kl = rollout.meanKL
            let stop = iteration >= maxIterations ? "max_iterations" : kl >= maxKL ? "max_kl" : nil
            if iteration == 0 || kl.squareRoot() - lastSavedSqrtKL >= p.double("checkpoint_every_sqrt_kl") || stop != nil {
                try snapshot(rollout)
            }
            if let stop {
                metrics += JSON.object(line).canonical + "\n"
                try writeOutputs(stopReason: stop)
                return
            }
            line += try update(rollout, passes: passes)
            metrics += JSON.object(line).canonical + "\n"
            // Time goes to the log only: the artifact must not depend on it.
            report(line, seconds: Date().timeIntervalSince(since), sampling: rollout, maxIterations: maxIterations)
            iteration += 1
            try save()
            since = Date()
        }
    }

    /// The shuffled minibatches of each pass over a batch; the first pass's also group the rollout's forward.
    func minibatchOrders() -> [[[Int]]] {
        (0..<p.int("epochs_per_batch")).map { pass in
            var rng = Xoshiro256(seed: context.seed(for: "minibatches-\(iteration)-\(pass)"))
            var rows = Array(0..<batch)
            rng.shuffle(&rows)
            return stride(from: 0, to: batch, by: minibatch).map { Array(rows[$0..<min(batch, $0 + minibatch)]) }
        }
    }

    /// This iteration's learning rate (see `lr_schedule`).
    func learningRate() -> Double {
        let progress = Double(iteration) / Double(max(p.int("max_iterations"), 1))
        switch p.string("lr_schedule") {
        case "linear": return p.double("lr") * (1 - progress)
        case "cosine": return p.double("lr") * 0.5 * (1 + cos(Double.pi * progress))
        default: return p.double("lr")
        }
    }

    /// Raw rewards: log p(target) of each completion.
    func rawRewards(_ r: Rollout) -> [Float] { p.string("target") == "negative" ? r.logSad : r.logHappy }

    /// The original policy's reward mean and std, from `norm_samples` completions (computed once).
    func fixedNormalization() throws -> (mean: Double, std: Double) {
        let count = p.int("norm_samples")
        guard count >= 2 else { throw PipelineError.badInput("ppo.norm_samples must be at least 2 for the fixed normalisation") }
        context.progress("reward normalisation: scoring \(count) completions of the original policy")
        let sample = ScoredCompletions(policy: reference, reward: reward, prompt: [prompt], count: count, length: length,
                                       temperature: temperature, seed: context.seed(for: "normalisation"))
        let (mean, deviation) = meanAndDeviation(p.string("target") == "negative" ? sample.logSad : sample.logHappy)
        return (mean, deviation)
    }

    /// The measured half of an iteration's metrics line.
    func measure(_ r: Rollout) -> [(String, JSON)] {
        let raw = rawRewards(r)
        let normalized = normalize(raw)
        return [
            ("iteration", .int(Int64(iteration))),
            ("score", .double(meanAndDeviation(raw).mean)),
            ("p_happy", .double(meanAndDeviation(r.pHappy).mean)),
            ("score_normalized", .double(meanAndDeviation(normalized).mean)),
            ("kl", .double(meanAndDeviation(r.sampledKL).mean)),
            ("kl_exact", .double(r.meanKL)),
            ("sqrt_kl", .double(r.meanKL.squareRoot())),
            ("entropy", .double(meanAndDeviation(r.entropy).mean)),
            ("completion_length", .int(Int64(r.length))),
        ] + (r.prefixMargins.map { [("baseline_ev", .double(explainedVariance(r, $0)))] } ?? [])
    }

    func normalize(_ raw: [Float]) -> [Float] {
        let (mean, std) = normalization ?? meanAndDeviation(raw)
        return raw.map { Float((Double($0) - mean) / (std + 1e-8)) }
    }

    /// Per-token advantages. With the mean baseline: the normalised reward of the completion, less
    /// (unless the penalty is in the loss) beta times the KL still to come in it: the return-to-go
    /// with no discount. With the prefix baseline: generalised advantage estimation, the prefix
    /// baseline standing in for a value function: each token's step is the change it makes to the
    /// expected reward (the last token's, to the reward itself) less beta times its KL, and a
    /// token's advantage sums the steps from it on, each later one weighed `gae_lambda` times less.
    /// At lambda 1 that is the reward less the token's baseline, less the KL to come.
    func advantages(_ r: Rollout) -> [Float] {
        let penalise = !p.bool("kl_in_loss") && beta != 0
        var result = [Float](repeating: 0, count: r.count * length)
        if let margins = r.prefixMargins {
            let raw = rawRewards(r), (_, std) = normalization ?? meanAndDeviation(raw)
            let baselines = prefixBaselines(margins), lambda = p.double("gae_lambda")
            for row in 0..<r.count {
                var toCome = 0.0, next = Double(raw[row])
                for i in stride(from: length - 1, through: 0, by: -1) {
                    let at = row * length + i, value = Double(baselines[at])
                    let kl = penalise ? Double(r.logProbs[at] - r.referenceLogProbs[at]) : 0
                    toCome = (next - value) / (std + 1e-8) - Double(beta) * kl + lambda * toCome
                    result[at] = Float(toCome)
                    next = value
                }
            }
        } else {
            let normalized = normalize(rawRewards(r))
            for row in 0..<r.count {
                var toCome: Float = 0
                for i in stride(from: length - 1, through: 0, by: -1) {
                    let at = row * length + i
                    if penalise { toCome += r.logProbs[at] - r.referenceLogProbs[at] }
                    result[at] = normalized[row] - beta * toCome
                }
            }
        }
        if p.bool("whiten") {
            let (mean, std) = meanAndDeviation(result)
            result = result.map { Float((Double($0) - mean) / (std + 1e-8)) }
        }
        return result
    }

    /// The prefix baseline of every token (B * L): the reward expected from what the reward model
    /// has read before it. The margin it gives a completion is a mean over the completion's tokens,
    /// so one whose first i of n read tokens have margin m, and whose other tokens read like
    /// another completion of the batch with final margin m', ends near (i/n) m + (1 - i/n) m';
    /// the baseline is the mean reward of that margin over the batch's other completions (at
    /// i = 0, their mean reward). It depends only on the tokens before the one it is compared with
    /// and on other completions, so the policy gradient stays unbiased; tokens past the reward
    /// model's context get their completion's own reward (they cannot change it).
    func prefixBaselines(_ margins: [[Float]]) -> [Float] {
        let finals = margins.map { Double($0.last!) }
        let sign: Double = p.string("target") == "negative" ? -1 : 1
        var result = [Float](repeating: 0, count: margins.count * length)
        for (row, m) in margins.enumerated() where margins.count > 1 {
            for i in 0..<length {
                let seen = min(i, m.count), share = Double(seen) / Double(m.count)
                let read = seen == 0 ? 0 : share * Double(m[seen - 1])
                var total = 0.0
                for (other, final) in finals.enumerated() where other != row {
                    total += Double(RewardModel.logSigmoid(Float(sign * (read + (1 - share) * final))))
                }
                result[row * length + i] = Float(total / Double(margins.count - 1))
            }
        }
        return result
    }

    /// How much of the rewards' spread the prefix baseline explains, over all tokens: 1 - mean
    /// squared (reward - baseline) / variance of the reward.
    func explainedVariance(_ r: Rollout, _ margins: [[Float]]) -> Double {
        let raw = rawRewards(r), baselines = prefixBaselines(margins)
        let mean = meanAndDeviation(raw).mean
        var residual = 0.0, spread = 0.0
        for at in 0..<baselines.count {
            let reward = Double(raw[at / length])
            residual += (reward - Double(baselines[at])) * (reward - Double(baselines[at]))
            spread += (reward - mean) * (reward - mean)
        }
        return spread > 0 ? 1 - residual / spread : 0
    }

    /// PPO's passes over the batch; returns the training half of the metrics line.
    func update(_ r: Rollout, passes: [[[Int]]]) throws -> [(String, JSON)] {
        let advantage = advantages(r), v = policy.config.vocabSize, rate = learningRate()
        var loss = 0.0, clip = 0.0, ratioMean = 0.0, ratioVariance = 0.0, approxKL = 0.0, steps = 0.0
        for (pass, groups) in passes.enumerated() {
            for (k, rows) in groups.enumerated() {
                let n = rows.count * length
                policy.zeroGradients()
                policy.forward(tokens: r.inputs(rows), b: rows.count, t: length)
                let penalty = klPenaltyInLoss(r, rows)
                let stats = PPOObjective.lossAndGradient(
                    logits: policy.logits.pointer, n: n, v: v, actions: r.actions(rows), oldLogProbs: r.gather(r.logProbs, rows),
                    advantages: r.gather(advantage, rows), mask: [Float](repeating: 1, count: n), clip: Float(p.double("clip")),
                    temperature: temperature, klPenalty: penalty)
                if pass == 0 && k == 0 && stats.maxRatioDeviation != 0 {
                    throw PipelineError.failed("ppo: the probability ratio on the first minibatch of iteration \(iteration) is off 1 by \(stats.maxRatioDeviation); the policy's log-probabilities are not reproducible")
                }
                guard stats.loss.isFinite else {
                    throw PipelineError.failed("ppo: the loss became \(stats.loss) at iteration \(iteration); the last good checkpoint is kept in \(context.workDirectory.path). Lower ppo.lr and run again")
                }
                policy.backwardFromLogitGradient()
                if p.double("grad_clip") > 0 { clipGradientNorm(policy.grads, maxNorm: Float(p.double("grad_clip"))) }
                optimizer.update(params: policy.params, grads: policy.grads, lr: Float(rate))
                loss += Double(stats.loss); clip += Double(stats.clipFraction)
                ratioMean += Double(stats.ratioMean); ratioVariance += Double(stats.ratioVariance)
                approxKL += Double(stats.approxKL); steps += 1
            }
        }
        return [("loss", .double(loss / steps)), ("clipfrac", .double(clip / steps)), ("ratio_mean", .double(ratioMean / steps)),
                ("ratio_var", .double(ratioVariance / steps)), ("approxkl", .double(approxKL / steps)), ("lr", .double(rate))]
    }

    /// With `kl_in_loss`, the KL term of these rows' loss: the exact one needs the reference's
    /// logits, so the reference reads the minibatch again.
    func klPenaltyInLoss(_ r: Rollout, _ rows: [Int]) -> PPOObjective.KLPenalty? {
        guard p.bool("kl_in_loss") else { return nil }
        guard exactPenalty else { return .sampled(referenceLogProbs: r.gather(r.referenceLogProbs, rows), coefficient: beta) }
        reference.forward(tokens: r.inputs(rows), b: rows.count, t: length)
        return .exact(referenceLogits: UnsafePointer(reference.logits.pointer), coefficient: beta)
    }

    /// A progress line, and the curriculum's warning when updates barely move the policy.
    func report(_ line: [(String, JSON)], seconds: Double, sampling r: Rollout, maxIterations: Int) {
        let value = { (key: String) in JSON.object(line)[key]?.doubleValue ?? .nan }
        let rate = Double(r.count * r.length) / max(r.samplingSeconds, 1e-9)
        context.progress(String(format: "iteration %d/%d  p(happy) %.3f  KL %.2f nats  clip %.1f%%  %.1f s/it (sampling %.0f tokens/s)  ETA %@",
                                iteration + 1, maxIterations, value("p_happy"), value("kl_exact"), 100 * value("clipfrac"),
                                seconds, rate, formatDuration(seconds * Double(maxIterations - iteration - 1)) as NSString))
        lowClipIterations = value("clipfrac") < 0.01 ? lowClipIterations + 1 : 0
        if lowClipIterations == 3 && !warnedLowClip {
            warnedLowClip = true
            context.log("ppo: the clip fraction has stayed under 1% for 3 iterations, so PPO's updates barely move the policy; a larger ppo.batch (or ppo.lr) would make each iteration count")
        }
    }

    /// Saves the policy for the over-optimisation study, with some of its completions.
    func snapshot(_ r: Rollout) throws {
        let name = String(format: "%04d", iteration)
        let folder = checkpointsFolder.appendingPathComponent(name)
        try FileSystem.makeDirectory(folder)
        try policy.save(to: folder.appendingPathComponent("model.safetensors"), metadata: ["stage": "ppo", "iteration": String(iteration)])
        let sampled = r.sampledKL
        var lines = ""
        for row in 0..<min(r.count, p.int("checkpoint_samples")) {
            lines += JSON.object([("text", .string(vocabulary.decode(r.completions[row].map { UInt32($0) }))),
                                  ("p_happy", .double(exp(Double(r.logHappy[row])))), ("kl", .double(Double(r.completionKL[row]))),
                                  ("kl_sampled", .double(Double(sampled[row])))]).canonical + "\n"
        }
        try Data(lines.utf8).write(to: folder.appendingPathComponent("samples.jsonl"))
        let meanKL = r.meanKL
        snapshots.removeAll { $0["iteration"]?.intValue == Int64(iteration) }
        snapshots.append(.object([("iteration", .int(Int64(iteration))), ("kl", .double(meanKL)), ("sqrt_kl", .double(meanKL.squareRoot())),
                                  ("mean_p_happy", .double(meanAndDeviation(r.pHappy).mean)),
                                  ("path", .string("checkpoints/\(name)"))]))
        lastSavedSqrtKL = meanKL.squareRoot()
    }

    func save() throws {
        var state: [(String, JSON)] = [
            ("iteration", .int(Int64(iteration))), ("adam_step", .int(Int64(optimizer.step))),
            ("low_clip_iterations", .int(Int64(lowClipIterations))), ("warned_low_clip", .bool(warnedLowClip)),
            ("snapshots", .array(snapshots)),
            ("last_saved_sqrt_kl", .double(lastSavedSqrtKL)),
        ]
        if let normalization { state.append(("normalization", .array([.double(normalization.mean), .double(normalization.std)]))) }
        try TrainingCheckpoint(params: policy.params, best: nil, m: optimizer.m, v: optimizer.v,
                               state: .object(state), metrics: metrics, samples: "").save(in: context.workDirectory)
    }

    func restore(_ c: TrainingCheckpoint) throws {
        guard c.params.count == policy.params.count, let iteration = c.state["iteration"]?.intValue,
              let adamStep = c.state["adam_step"]?.intValue, let saved = c.state["last_saved_sqrt_kl"]?.doubleValue else {
            throw PipelineError.failed("the checkpoint in \(context.workDirectory.path) does not fit this run; delete it to start afresh")
        }
        for (buffer, values) in [(policy.params, c.params), (optimizer.m, c.m), (optimizer.v, c.v)] { buffer.copy(from: values) }
        self.iteration = Int(iteration)
        optimizer.step = Int(adamStep)
        lastSavedSqrtKL = saved
        lowClipIterations = Int(c.state["low_clip_iterations"]?.intValue ?? 0)
        warnedLowClip = c.state["warned_low_clip"]?.boolValue ?? false
        snapshots = c.state["snapshots"]?.arrayValue ?? []
        if let pair = c.state["normalization"]?.arrayValue?.compactMap(\.doubleValue), pair.count == 2 { normalization = (pair[0], pair[1]) }
        metrics = c.metrics
    }

    func writeOutputs(stopReason: String) throws {
        let out = context.outputDirectory
        try policy.save(to: out.appendingPathComponent("model.safetensors"), metadata: ["stage": "ppo", "iteration": String(iteration)])
        try JSONEncoder.sortedPretty.encode(policy.config).write(to: out.appendingPathComponent("config.json"))
        try Data(metrics.utf8).write(to: out.appendingPathComponent("metrics.jsonl"))
        try FileManager.default.copyItem(at: checkpointsFolder, to: out.appendingPathComponent("checkpoints"))
        try Data(JSON.array(snapshots).pretty.utf8).write(to: out.appendingPathComponent("checkpoints/index.json"))
        var norm: [(String, JSON)] = [("mode", .string(p.string("reward_norm")))]
        if let normalization {
            norm += [("mean", .double(normalization.mean)), ("std", .double(normalization.std)), ("samples", .int(Int64(p.int("norm_samples"))))]
        }
        try Data(JSON.object([("reward_normalization", .object(norm)), ("stop_reason", .string(stopReason)),
                              ("iterations", .int(Int64(iteration)))]).pretty.utf8).write(to: out.appendingPathComponent("run.json"))
        let lines = metrics.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
        context.setSummary("iterations", .int(Int64(iteration)))
        context.setSummary("stop_reason", .string(stopReason))
        context.setSummary("p_happy_start", lines.first?["p_happy"] ?? .null)
        context.setSummary("p_happy_end", lines.last?["p_happy"] ?? .null)
        context.setSummary("kl_end", lines.last?["kl_exact"] ?? .null)
        context.setSummary("checkpoints", .int(Int64(snapshots.count)))
        let clip = lines.compactMap { $0["clipfrac"]?.doubleValue }
        context.setSummary("clipfrac_mean", clip.isEmpty ? .null : .double(clip.reduce(0, +) / Double(clip.count)))
    }
}
