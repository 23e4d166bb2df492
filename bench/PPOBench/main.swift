// Seconds per PPO iteration and sampling tokens/s of the ppo stage on the seed's model with the
// `paper` profile's PPO (128 completions of 64 tokens, 4 passes in minibatches of 32, the KL in the
// loss, batch normalisation), for `bench/ppo.sh`.
//
//   ppo-bench [--iterations N] [--threads N]
//
// Random weights stand in for the trained policy and reward model: an iteration does the same work.
// Runs the stage itself and reads its progress lines. Prints one JSON line, which also holds the
// float32 floor: the iteration's matrix-product FLOPs at this machine's peak sgemm rate, what no
// float32 implementation of the same work could go under here.
import Artifacts
import Foundation
import NN
import Stages

var iterations = 3
var threads = ProcessInfo.processInfo.activeProcessorCount
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--iterations": iterations = Int(args.popFirst()!)!
    case "--threads": threads = Int(args.popFirst()!)!
    default: fatalError("unknown argument \(arg)")
    }
}
Matmul.setThreadCount(threads)

let vocab = 29_208
let config = GPTConfig(vocabSize: vocab, contextLength: 128, dModel: 512, nHeads: 8, nLayers: 8, dFF: 2048, positions: .sinusoidal)
let root = try FileSystem.makeTemporaryDirectory(prefix: "ppo-bench")
defer { FileSystem.remove(root) }
func folder(_ name: String) throws -> URL {
    let url = root.appendingPathComponent(name)
    try FileSystem.makeDirectory(url)
    return url
}
let pretrain = try folder("pretrain"), reward = try folder("reward"), tokens = try folder("tokens")
try GPT(config: config, seed: 1).save(to: pretrain.appendingPathComponent("model.safetensors"))
var rewardFile = GPT(config: config, seed: 2).safeTensors(metadata: ["reward_context": "64", "reward_pooling": "last"])
for (name, tensor) in Classifier(classes: 2, dModel: config.dModel, pooling: .last, seed: 3).tensors { rewardFile.tensors[name] = tensor }
try rewardFile.write(reward.appendingPathComponent("model.safetensors"))
try Vocabulary(tokens: [Token(Vocabulary.unknown), Token("\n")] + (2..<vocab).map { Token("w\($0)") })
    .write(to: tokens.appendingPathComponent("vocab.json"))

let stage = PPOStage()
var params = Dictionary(uniqueKeysWithValues: stage.params.map { ($0.name, $0.defaultValue) })
let paper: [String: JSON] = ["batch": .int(128), "minibatch": .int(32), "rollout_len": .int(64), "epochs_per_batch": .int(4),
                             "lr": .double(1e-5), "beta": .double(0.1), "clip": .double(0.2), "reward_norm": .string("batch"),
                             "kl_in_loss": .bool(true), "max_iterations": .int(Int64(iterations))]
params.merge(paper) { $1 }

final class Lines: @unchecked Sendable { var all: [String] = [] }
let lines = Lines()
let context = StageContext(stageName: "ppo", params: StageParams(params),
                           inputs: ["pretrain": pretrain, "reward": reward, "tokens": tokens],
                           outputDirectory: try folder("out"), workDirectory: try folder("work"), seed: 1, logFile: nil) { lines.all.append($0) }
try stage.run(context)

// "iteration 2/3  ...  14.2 s/it (sampling 3915 tokens/s)  ETA ..."
var best = (seconds: Double.infinity, rate: 0.0)
for line in lines.all where line.hasPrefix("iteration ") {
    let words = line.split(separator: " ")
    guard let i = words.firstIndex(of: "s/it"), let seconds = Double(words[i - 1]), let rate = Double(words[i + 2]) else { continue }
    best = (min(best.seconds, seconds), max(best.rate, rate))
}
// Per iteration, per position of the 128 x 64: sampling one forward (KV cache), the rollout's
// policy and reference forwards, the reward model's body, and 4 passes of forward + backward.
let forward = config.bodyFLOPsPerPosition(t: 64) + config.headFLOPsPerPosition
let flops = Double(128 * 64) * ((1 + 2 + 3 * 4) * forward + config.bodyFLOPsPerPosition(t: 64))
let peak = Matmul.peakRate()
let result: JSON = .object([("seconds_per_iteration", .double(best.seconds)), ("sampling_tokens_per_s", .double(best.rate)),
                            ("matrix_tflop", .double(flops / 1e12)), ("sgemm_peak_gflops", .double(peak)),
                            ("floor_seconds", .double(flops / peak / 1e9)),
                            ("iterations", .int(Int64(iterations))), ("completions", .int(128)), ("rollout_len", .int(64))])
print(result.canonical)
