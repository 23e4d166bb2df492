import Artifacts
import Foundation
import NN
import Stages
import Testing
import TestStages

@Suite("ppo stage")
struct PPOTests {
    /// Runs the tiny reward pipeline through ppo with `overrides`; returns the ppo artifact and its
    /// metrics lines. The artifact lives in the workspace: keep `ws` while reading it.
    func run(_ overrides: [String] = []) throws -> (ws: ScratchWorkspace, dir: URL, lines: [JSON]) {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        let outcomes = try ws.run(set: overrides)
        #expect(outcomes["ppo"] == .ran)
        let dir = try ws.artifact("ppo")
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSON.parse(String($0)) }
        return (ws, dir, lines)
    }

    func value(_ line: JSON, _ key: String) -> Double { line[key]?.doubleValue ?? .nan }

    @Test("raises p(happy) from the pretrained level, and measures every iteration")
    func rewardsRise() throws {
        let (ws, dir, lines) = try run()
        // 8 updates, then the final policy measured.
        #expect(lines.count == 9)
        #expect(lines.map { $0["iteration"]?.intValue } == (0...8).map { Int64($0) })
        // Iteration 0 is the original policy: no KL at all, exactly.
        #expect(value(lines[0], "kl_exact") == 0 && value(lines[0], "kl") == 0)
        #expect(value(lines[8], "p_happy") > value(lines[0], "p_happy") + 0.2, "\(lines.map { value($0, "p_happy") })")
        #expect(value(lines[8], "kl_exact") > 0)
        for line in lines.dropLast() {
            #expect((0...1).contains(value(line, "clipfrac")))
            #expect(value(line, "lr") == 0.003)
            #expect(value(line, "entropy") > 0 && value(line, "completion_length") == 8)
            #expect(abs(value(line, "sqrt_kl") - value(line, "kl_exact").squareRoot()) < 1e-12)
        }
        #expect(lines.last?["loss"] == nil)
        #expect(lines.allSatisfy { $0["baseline_ev"] == nil })
        let run = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("run.json")))
        #expect(run["stop_reason"] == .string("max_iterations") && run["iterations"] == .int(8))
        #expect(run["reward_normalization"]?["mode"] == .string("fixed") && run["reward_normalization"]?["samples"] == .int(32))
        // The final policy is a language model `pipeline sample` can load.
        let policy = try GPT.load(from: dir.appendingPathComponent("model.safetensors"))
        #expect(policy.config.dModel == 16)
        withExtendedLifetime(ws) {}
    }

    @Test("target negative lowers p(happy)")
    func negative() throws {
        let (_, _, lines) = try run(["ppo.target=negative"])
        #expect(value(lines.last!, "p_happy") < value(lines[0], "p_happy") - 0.2, "\(lines.map { value($0, "p_happy") })")
    }

    @Test("stops as soon as KL(policy || original) reaches max_kl")
    func klStop() throws {
        let (ws, dir, lines) = try run(["ppo.max_kl=0.3", "ppo.max_iterations=50"])
        let kl = lines.map { value($0, "kl_exact") }
        #expect(kl.last! >= 0.3)
        #expect(kl.dropLast().allSatisfy { $0 < 0.3 })
        #expect(lines.count < 51)
        let run = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("run.json")))
        #expect(run["stop_reason"] == .string("max_kl") && run["iterations"] == .int(Int64(lines.count - 1)))
        withExtendedLifetime(ws) {}
    }

    @Test("saves the policy at iteration 0, whenever sqrt(KL) grew by the step, and at the end")
    func checkpointCadence() throws {
        let (ws, dir, lines) = try run(["ppo.checkpoint_every_sqrt_kl=0.3"])
        let index = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("checkpoints/index.json"))).arrayValue!
        var expected: [Int] = [], last = 0.0
        for (i, line) in lines.enumerated() {
            let root = value(line, "sqrt_kl")
            if i == 0 || root - last >= 0.3 || i == lines.count - 1 { expected.append(i); last = root }
        }
        #expect(index.map { Int($0["iteration"]!.intValue!) } == expected)
        #expect(expected.count >= 3, "\(lines.map { value($0, "sqrt_kl") })")
        for entry in index {
            let i = Int(entry["iteration"]!.intValue!)
            #expect(entry["kl"]?.doubleValue == value(lines[i], "kl_exact"))
            #expect(entry["mean_p_happy"]?.doubleValue == value(lines[i], "p_happy"))
            let folder = dir.appendingPathComponent(entry["path"]!.stringValue!)
            #expect(folder.lastPathComponent == String(format: "%04d", i))
            #expect(try String(contentsOf: folder.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n").count == 16)
            _ = try GPT.load(from: folder.appendingPathComponent("model.safetensors"))
        }
        // Iteration 0's policy is the pretrained model itself.
        let start = try GPT.load(from: dir.appendingPathComponent("checkpoints/0000/model.safetensors"))
        let pretrained = try GPT.load(from: ws.artifact("pretrain").appendingPathComponent("model.safetensors"))
        #expect(start.params.array == pretrained.params.array)
    }

    @Test("the seed's variant: batch normalisation and the KL penalty in the loss; whitening")
    func seedVariant() throws {
        let (ws, dir, lines) = try run(["ppo.reward_norm=batch", "ppo.kl_in_loss=true", "ppo.whiten=true"])
        #expect(lines.count == 9)
        for line in lines { #expect(abs(value(line, "score_normalized")) < 1e-5) }
        let run = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("run.json")))
        #expect(run["reward_normalization"] == .object([("mode", .string("batch"))]))
        withExtendedLifetime(ws) {}
    }

    @Test("the prefix baseline with GAE: rewards still rise, and the reward model's reading of each prefix explains part of the reward")
    func prefixBaseline() throws {
        let (_, _, lines) = try run(["ppo.baseline=prefix", "ppo.gae_lambda=0.5"])
        #expect(value(lines.last!, "p_happy") > value(lines[0], "p_happy") + 0.2, "\(lines.map { value($0, "p_happy") })")
        let explained = lines.map { value($0, "baseline_ev") }
        #expect(explained.allSatisfy { $0 < 1 } && explained[0] > 0, "\(explained)")
    }

    @Test("head_lr_scale or embedding_lr_scale at 0 keeps those tensors as pretrained, bit for bit, while everything else trains",
          arguments: [("ppo.head_lr_scale=0", ["lm_head.weight"]), ("ppo.embedding_lr_scale=0", ["wte.weight", "wpe.weight"])])
    func learningRateScales(setting: String, frozen: [String]) throws {
        let (ws, dir, _) = try run([setting])
        let policy = try GPT.load(from: dir.appendingPathComponent("model.safetensors"))
        let pretrained = try GPT.load(from: ws.artifact("pretrain").appendingPathComponent("model.safetensors"))
        #expect(frozen.allSatisfy { pretrained.layout[$0] != nil })
        for slot in pretrained.layout.slots {
            #expect((policy.values(of: slot.name) == pretrained.values(of: slot.name)) == frozen.contains(slot.name), "\(slot.name)")
        }
    }

    @Test("kl_penalty exact, in the loss: the exact KL's gradient holds the policy near the original, where no penalty lets it go")
    func exactKLInLoss() throws {
        let free = try run(["ppo.beta=0"]).lines
        let held = try run(["ppo.kl_in_loss=true", "ppo.kl_penalty=exact", "ppo.beta=1"]).lines
        let sampled = try run(["ppo.kl_in_loss=true", "ppo.beta=1"]).lines
        #expect(value(held.last!, "kl_exact") < 0.5 * value(free.last!, "kl_exact"), "\(value(held.last!, "kl_exact")) \(value(free.last!, "kl_exact"))")
        // Both KL terms start from the same rollout, and then take different steps.
        #expect(value(held[0], "p_happy") == value(sampled[0], "p_happy"))
        #expect(value(held[1], "kl_exact") != value(sampled[1], "kl_exact"))
    }

    @Test("lr_schedule: linear and cosine decay from lr towards 0 at max_iterations, and the metrics say which rate each update used")
    func learningRateSchedules() throws {
        let linear = try run(["ppo.lr_schedule=linear"]).lines
        let cosine = try run(["ppo.lr_schedule=cosine"]).lines
        let progress = (0..<8).map { Double($0) / 8 }
        let linearRates: [Double] = progress.map { 0.003 * (1 - $0) }
        let cosineRates: [Double] = progress.map { 0.003 * 0.5 * (1 + cos(Double.pi * $0)) }
        #expect(linear.dropLast().map { value($0, "lr") } == linearRates)
        #expect(cosine.dropLast().map { value($0, "lr") } == cosineRates)
        // The first update is the same under every schedule; later ones take smaller steps.
        let constant = try run().lines
        #expect(value(linear[1], "kl_exact") == value(constant[1], "kl_exact"))
        #expect(value(linear[8], "kl_exact") != value(constant[8], "kl_exact"))
    }

    @Test("warns once, in the log, when the clip fraction stays under 1%")
    func lowClipWarning() throws {
        let (ws, _, lines) = try run(["ppo.lr=1e-9"])
        #expect(lines.dropLast().allSatisfy { value($0, "clipfrac") < 0.01 })
        let key = try #require(try ws.workspace.loadLock(ws.workspace.resolve()).entries["ppo"]?.invocation.key)
        let log = try String(contentsOf: ws.workspace.runs.logURL(key), encoding: .utf8)
        #expect(log.components(separatedBy: "the clip fraction has stayed under 1% for 3 iterations").count == 2, "\(log)")
    }

    @Test("bad params: a clear error")
    func badParams() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        let reports = try ws.reports(set: ["ppo.minibatch=17"])
        #expect(reports.first { $0.stage == "ppo" }?.outcome == .failed("ppo: need 1 <= minibatch <= batch"))
        let lambda = try ws.reports(set: ["ppo.gae_lambda=0.5"])
        #expect(lambda.first { $0.stage == "ppo" }?.outcome == .failed("ppo.gae_lambda must be between 0 and 1, and below 1 only with ppo.baseline=prefix (it discounts the changes that baseline measures)"))
        let head = try ws.reports(set: ["ppo.head_lr_scale=-1"])
        #expect(head.first { $0.stage == "ppo" }?.outcome == .failed("ppo.head_lr_scale must be at least 0"))
        let embedding = try ws.reports(set: ["ppo.embedding_lr_scale=-0.5"])
        #expect(embedding.first { $0.stage == "ppo" }?.outcome == .failed("ppo.embedding_lr_scale must be at least 0"))
        let exact = try ws.reports(set: ["ppo.kl_penalty=exact"])
        #expect(exact.first { $0.stage == "ppo" }?.outcome == .failed("ppo.kl_penalty=exact needs ppo.kl_in_loss=true: in the reward, a position's exact KL would not charge the token that causes it"))
    }
}
