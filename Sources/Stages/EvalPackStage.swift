import Artifacts
import Foundation
import NN

/// eval-pack: a blind human evaluation, as the curriculum asks. Samples of the preferred PPO
/// checkpoint and of the pretrained model (overopt-analyze's samples of checkpoint 0, which is the
/// pretrained model itself) are shuffled together into one page a rater opens in a browser.
///
/// The two sources take disjoint sample indices: overopt-analyze draws every checkpoint from the
/// same random stream, and a pair of samples from one stream would look alike.
///
/// Output: `eval.html` (self-contained; ids and texts only) and `key.json` (which source each id
/// came from, with its reward-model score; never shown to the rater).
public struct EvalPackStage: Stage {
    public let name = "eval-pack"
    public let version = 1
    public let summary = "packs a blind rating page: preferred-checkpoint samples shuffled with pretrained ones"
    public let params = [
        ParamSpec("policy_samples", .int, default: .int(20), help: "samples from the preferred PPO checkpoint"),
        ParamSpec("pretrained_samples", .int, default: .int(20), help: "samples from the pretrained model"),
    ]
    public let inputs = [InputSpec("analysis", .stage, help: "the overopt-analyze stage: its preferred checkpoint and samples")]
    public let usesSeed = true

    public static let sources = (pretrained: "pretrained", policy: "policy")

    public init() {}

    public func run(_ context: StageContext) throws {
        let p = context.params, folder = context.input("analysis")
        let analysis: JSON
        do { analysis = try JSON.parse(Data(contentsOf: folder.appendingPathComponent("analysis.json"))) } catch {
            throw PipelineError.badInput("eval-pack: the overopt-analyze artifact has no readable analysis.json (\(error))")
        }
        guard let first = analysis["checkpoints"]?.arrayValue?.first?["iteration"]?.intValue,
              let preferred = analysis["preferred"]?["iteration"]?.intValue else {
            throw PipelineError.badInput("eval-pack: analysis.json names no checkpoints or no preferred checkpoint")
        }
        let pretrained = try samples(in: folder, iteration: first), policy = try samples(in: folder, iteration: preferred)
        let wantPretrained = p.int("pretrained_samples"), wantPolicy = p.int("policy_samples")
        guard wantPretrained >= 1, wantPolicy >= 1 else { throw PipelineError.badInput("eval-pack: pretrained_samples and policy_samples must be at least 1") }
        let available = min(pretrained.count, policy.count)
        guard wantPretrained + wantPolicy <= available else {
            throw PipelineError.badInput("eval-pack: \(wantPretrained) + \(wantPolicy) samples need \(wantPretrained + wantPolicy) distinct sample indices, but overopt-analyze made \(available) per checkpoint; raise overopt-analyze.n_samples or lower the counts")
        }
        var rng = Xoshiro256(seed: context.seed(for: "selection"))
        var indices = Array(0..<available)
        rng.shuffle(&indices)
        var items: [(source: String, iteration: Int64, index: Int, sample: JSON)] =
            indices.prefix(wantPretrained).map { (EvalPackStage.sources.pretrained, first, $0, pretrained[$0]) }
            + indices.dropFirst(wantPretrained).prefix(wantPolicy).map { (EvalPackStage.sources.policy, preferred, $0, policy[$0]) }
        var order = Xoshiro256(seed: context.seed(for: "order"))
        order.shuffle(&items)

        let width = String(items.count).count
        let ids = items.indices.map { String(repeating: "0", count: width - String($0 + 1).count) + String($0 + 1) }
        let texts = items.map { $0.sample["text"]?.stringValue ?? "" }
        let packID = EvalPage.packID(ids: ids, texts: texts)
        let key = JSON.object([
            ("pack_id", .string(packID)),
            ("sources", .object([(EvalPackStage.sources.pretrained, .object([("iteration", .int(first)), ("what", .string("the pretrained model (ppo checkpoint \(first))"))])),
                                 (EvalPackStage.sources.policy, .object([("iteration", .int(preferred)), ("what", .string("the preferred ppo checkpoint"))]))])),
            ("items", .array(items.indices.map { k in
                .object([("id", .string(ids[k])), ("source", .string(items[k].source)), ("iteration", .int(items[k].iteration)),
                         ("sample_index", .int(Int64(items[k].index))), ("p_happy", items[k].sample["p_happy"] ?? .null),
                         ("text", .string(texts[k]))])
            })),
        ])
        let out = context.outputDirectory
        try Data(EvalPage.html(packID: packID, items: Array(zip(ids, texts))).utf8).write(to: out.appendingPathComponent("eval.html"))
        try Data(key.pretty.utf8).write(to: out.appendingPathComponent("key.json"))
        context.setSummary("pack_id", .string(packID))
        context.setSummary("samples", .int(Int64(items.count)))
        context.setSummary("policy_iteration", .int(preferred))
    }

    /// overopt-analyze's samples of one checkpoint, in order.
    func samples(in folder: URL, iteration: Int64) throws -> [JSON] {
        let file = folder.appendingPathComponent(String(format: "samples/%04d.jsonl", iteration))
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw PipelineError.badInput("eval-pack: the overopt-analyze artifact has no \(file.lastPathComponent) for checkpoint \(iteration)")
        }
        return try text.split(separator: "\n").map { try JSON.parse(String($0)) }
    }
}
