// Training and sampling throughput of the Swift GPT, for `bench/nn-train.sh`.
//
//   nn-bench CONFIG [--steps N] [--threads N] [--precision float32|bfloat16] [--profile]
//                                                  CONFIG: a (d256 L4) or b (d512 L8, the seed's)
//
// Prints one JSON line: tokens/s, GFLOP/s, the sgemm peak measured here, the fraction of it,
// sampling tokens/s with the KV cache, and the peak resident memory.
import Foundation
import NN

struct Options {
    var config = "a"
    var steps = 5
    var profile = false
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var precision = Precision.float32
}

var options = Options()
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--steps": options.steps = Int(args.popFirst()!)!
    case "--threads": options.threads = Int(args.popFirst()!)!
    case "--profile": options.profile = true
    case "--precision": options.precision = Precision(rawValue: args.popFirst()!)!
    default: options.config = arg
    }
}
Matmul.setThreadCount(options.threads)

// The corpus vocabulary is 29,208 tokens (tokenize stage); batch and shapes as in the issue.
let vocab = 29_208
let (config, batch): (GPTConfig, Int) = options.config == "b"
    ? (GPTConfig(vocabSize: vocab, contextLength: 128, dModel: 512, nHeads: 8, nLayers: 8, dFF: 2048, positions: .sinusoidal), 64)
    : (GPTConfig(vocabSize: vocab, contextLength: 128, dModel: 256, nHeads: 4, nLayers: 4, dFF: 1024, positions: .learned), 32)
let t = config.contextLength

func now() -> Double { Date().timeIntervalSince1970 }

/// bf16 matmul peak on the same size (inputs rounded beforehand), when bf16 is in use.
func bf16Peak() -> Double {
    let n = 2048
    let a = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
    for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1 }
    let a16 = UnsafeMutablePointer<UInt16>.allocate(capacity: n * n)
    defer { a16.deallocate() }
    BFloat16.round(a.pointer, into: a16, count: n * n)
    return Matmul.bestRate(flops: 2 * Double(n * n * n)) { BFloat16.gemm(a16, a16, c.pointer, m: n, n: n, k: n) }
}

/// Matrix-multiply FLOPs of one training step (forward + backward = 3x forward), attention included.
func flopsPerStep() -> Double {
    3 * (config.bodyFLOPsPerPosition(t: t) + config.headFLOPsPerPosition) * Double(batch * t)
}

let peak = Matmul.peakRate()
let peak16 = options.precision == .bfloat16 ? bf16Peak() : nil
if let problem = options.precision.problem { fatalError(problem) }
let model = GPT(config: config, seed: 1)
model.training = true
model.precision = options.precision
let optimizer = AdamW(layout: model.layout, settings: .init(beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.1))
var rng = Xoshiro256(seed: 2)
let tokens = (0..<(batch * t)).map { _ in Int32(rng.next() % UInt64(vocab)) }
let targets = (0..<(batch * t)).map { _ in Int32(rng.next() % UInt64(vocab)) }

func step() -> Float {
    model.zeroGradients()
    let loss = model.forward(tokens: tokens, targets: targets, b: batch, t: t)!
    model.backward()
    clipGradientNorm(model.grads, maxNorm: 1)
    optimizer.update(params: model.params, grads: model.grads, lr: 1e-4)
    return loss
}

_ = step()   // warm-up: allocations, page faults

/// Seconds spent in each part of one training step, printed to stderr with --profile.
func profileStep() {
    var parts: [(String, Double)] = []
    var mark = now()
    func lap(_ name: String) { let t = now(); parts.append((name, t - mark)); mark = t }
    let n = batch * t, v = config.vocabSize, c = config.dModel
    model.zeroGradients(); lap("zero grads")
    model.forwardHidden(tokens: tokens, b: batch, t: t); lap("body forward")
    let headW = model.parameter(config.tiedHead ? "wte.weight" : "lm_head.weight")
    let headG = model.gradient(config.tiedHead ? "wte.weight" : "lm_head.weight")
    Linear.forward(model.logits.pointer, model.hidden.pointer, headW, nil, n: n, inFeatures: c, outFeatures: v, bf16: model.bf16); lap("head forward")
    let sums = FloatBuffer(count: n)
    let (_, count) = CrossEntropy.forward(logits: model.logits.pointer, targets: targets, inverseSums: sums.pointer, n: n, v: v); lap("cross-entropy forward")
    CrossEntropy.backward(logits: model.logits.pointer, targets: targets, inverseSums: sums.pointer, n: n, v: v, count: count); lap("cross-entropy backward")
    model.hiddenGradient.zero()
    Linear.backward(dinp: model.hiddenGradient.pointer, dweight: headG, dbias: nil, dout: model.logits.pointer,
                    inp: model.hidden.pointer, weight: headW, n: n, inFeatures: c, outFeatures: v, bf16: model.bf16); lap("head backward")
    model.backwardHidden(); lap("body backward")
    clipGradientNorm(model.grads, maxNorm: 1); lap("clip")
    optimizer.update(params: model.params, grads: model.grads, lr: 1e-4); lap("adamw")
    let total = parts.reduce(0) { $0 + $1.1 }
    for (name, s) in parts {
        FileHandle.standardError.write(Data(String(format: "%-24@ %7.3f s  %5.1f%%\n", name as NSString, s, 100 * s / total).utf8))
    }
}
if options.profile { profileStep() }
if options.profile, let ws = model.bf16 {
    let n = batch * t * config.vocabSize
    let start = now()
    _ = ws.rounded(model.logits.pointer, count: n, slot: 0)
    FileHandle.standardError.write(Data(String(format: "bf16 rounding of %d floats: %.3f s\n", n, now() - start).utf8))
}
let start = now()
for _ in 0..<options.steps { _ = step() }
let seconds = (now() - start) / Double(options.steps)
let tokensPerSecond = Double(batch * t) / seconds
let gflops = flopsPerStep() / seconds / 1e9

// Sampling: 32 sequences, 64 new tokens each, KV cache, temperature 1.
model.training = false
let sampler = Sampler(model: model, batch: 32)
var sampleRNG = Xoshiro256(seed: 3)
let sampleStart = now()
_ = sampler.generate(prompt: [0], steps: 64, rng: &sampleRNG)
let samplingTokensPerSecond = Double(32 * 64) / (now() - sampleStart)

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let peakMiB = Double(usage.ru_maxrss) / 1024

let result: [String: Any] = [
    "config": options.config, "threads": options.threads, "precision": options.precision.rawValue, "batch": batch, "context": t,
    "parameters": model.layout.parameterCount, "blas_core": Matmul.coreType ?? "auto", "seconds_per_step": seconds,
    "train_tokens_per_s": tokensPerSecond, "gflops": gflops, "sgemm_peak_gflops": peak,
    "fraction_of_peak": gflops / peak,
    "bf16_peak_gflops": peak16 ?? 0, "bf16_kernel": options.precision == .bfloat16 ? BFloat16.kernel(m: batch * t, n: config.dFF, k: config.dModel) : "", "sampling_tokens_per_s": samplingTokensPerSecond, "peak_rss_mib": peakMiB,
]
print(String(decoding: try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
