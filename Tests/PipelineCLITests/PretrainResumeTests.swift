import Artifacts
import Foundation
import NN
import Testing
import Stages
import TestStages

/// The real `pipeline` binary, next to stage-host.
let pipelineBinary = stageHost.deletingLastPathComponent().appendingPathComponent("pipeline")

/// A tiny language-modelling pipeline over a generated text, fast enough for tests.
func tinyTrainingWorkspace(precision: String = "float32") throws -> ScratchWorkspace {
    // Deterministic pseudo-text: 1,500 short lines over a 40-word vocabulary.
    var state: UInt64 = 42
    func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
    let words = (0..<40).map { "w\($0)" }
    let text = (0..<1500).map { _ in (0..<(3 + next() % 5)).map { _ in words[next() % 40] }.joined(separator: " ") + "," }.joined(separator: "\n")
    return try ScratchWorkspace(config: """
    {"seed": 3, "stages": {
      "tokenize": {"inputs": {"corpus": {"file": "in.txt"}}, "params": {"format": "text"}},
      "split": {"inputs": {"tokens": {"stage": "tokenize"}}, "params": {"context": 16}},
      "pretrain": {"inputs": {"split": {"stage": "split"}, "tokens": {"stage": "tokenize"}},
                   "params": {"d_model": 32, "n_layers": 2, "n_heads": 2, "d_ff": 64, "batch": 8, "epochs": 10, "max_steps": 1000,
                              "eval_every": 400, "eval_sequences": 8, "sample_tokens": 8, "checkpoint_every": 5, "dropout": 0.1,
                              "precision": "\(precision)"}}
    }}
    """, input: text, registry: StandardStages.registry)
}

@Suite("pretrain resumes", .serialized)
struct PretrainResumeTests {
    @Test("after kill -9 mid-training, pipeline run resumes and the artifact equals an uninterrupted run's")
    func resumeAfterKill() throws {
        let ws = try tinyTrainingWorkspace()
        #expect(try killAtFirstCheckpoint(ws, ["run"]))
        #expect(try ws.output("pretrain") == nil, "the run finished before it could be killed")

        let resumed = try runProcess(pipelineBinary, ["run"], in: ws.root)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("ran         pretrain"))
        let key = try #require(try ws.workspace.loadLock(ws.workspace.resolve()).entries["pretrain"]?.invocation.key)
        #expect(try String(contentsOf: ws.workspace.runs.logURL(key), encoding: .utf8).contains("resuming at step"))

        let fresh = try tinyTrainingWorkspace()
        #expect(try runProcess(pipelineBinary, ["run"], in: fresh.root).status == 0)
        #expect(try ws.output("pretrain") == fresh.output("pretrain"))
        // And the lock files agree entirely: every stage reproduced.
        #expect(try ws.read("pipeline.lock") == fresh.read("pipeline.lock"))
    }

    @Test("pipeline verify recomputes pretrain bit for bit")
    func verify() throws {
        let ws = try tinyTrainingWorkspace()
        #expect(try runProcess(pipelineBinary, ["run"], in: ws.root).status == 0)
        let result = try runProcess(pipelineBinary, ["verify", "pretrain"], in: ws.root)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("all 1 stage reproduced\n"))
    }

    @Test("bfloat16 pretraining learns as well as float32, takes its own path, and pipeline verify reproduces it",
          .enabled(if: Precision.bfloat16.problem == nil, "no bf16 matmul kernel for this CPU"))
    func bfloat16() throws {
        func lastValidLoss(_ ws: ScratchWorkspace) throws -> Double {
            let metrics = try String(contentsOf: ws.artifact("pretrain").appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            let line = try #require(metrics.split(separator: "\n").last { $0.contains("valid_loss") })
            return try #require(JSON.parse(Data(line.utf8))["valid_loss"]?.doubleValue)
        }
        let float32 = try tinyTrainingWorkspace(), bfloat16 = try tinyTrainingWorkspace(precision: "bfloat16")
        #expect(try runProcess(pipelineBinary, ["run"], in: float32.root).status == 0)
        #expect(try runProcess(pipelineBinary, ["run"], in: bfloat16.root).status == 0)
        #expect(try float32.output("pretrain") != bfloat16.output("pretrain"))
        let loss32 = try lastValidLoss(float32), loss16 = try lastValidLoss(bfloat16)
        // 1,000 steps take the loss on the 40-word text well below ln(40) = 3.69 nats.
        #expect(loss32 < 3.2 && abs(loss16 - loss32) < 0.05, "valid loss float32 \(loss32), bfloat16 \(loss16)")
        let verify = try runProcess(pipelineBinary, ["verify", "pretrain"], in: bfloat16.root)
        #expect(verify.stdout.hasSuffix("all 1 stage reproduced\n"), "\(verify.stdout)")
    }

    @Test("precision auto trains in what this machine has and the lock records it; a precision the CPU lacks, or no precision at all, fails clearly")
    func precisionAuto() throws {
        let auto = try tinyTrainingWorkspace(precision: "auto"), machine = Precision.machineDefault.rawValue
        #expect(try auto.workspace.resolve()["pretrain"]?.params.string("precision") == machine)
        let run = try runProcess(pipelineBinary, ["run"], in: auto.root)
        #expect(run.status == 0, "\(run.stderr)")
        let recorded = try auto.workspace.loadLock(auto.workspace.resolve()).entries["pretrain"]?.invocation.params["precision"]
        #expect(recorded == .string(machine))
        // Naming the machine's precision is the same computation: nothing reruns.
        let named = try runProcess(pipelineBinary, ["run", "--set", "pretrain.precision=\(machine)"], in: auto.root)
        #expect(named.stdout.contains("up to date") && !named.stdout.contains("ran "), "\(named.stdout)")

        if let problem = Precision.bfloat16.problem {
            let refused = try runProcess(pipelineBinary, ["run", "--set", "pretrain.precision=bfloat16"], in: auto.root)
            #expect(refused.status != 0)
            #expect(refused.stdout.contains("pretrain.precision is bfloat16, but \(problem). Set pretrain.precision to float32 to train without it"),
                    "\(refused.stdout)")
        }
        let bad = try runProcess(pipelineBinary, ["run", "--set", "pretrain.precision=float16"], in: auto.root)
        #expect(bad.status != 0 && bad.stderr.contains("\"auto\", \"float32\", \"bfloat16\""), "\(bad.stderr)")
    }

    @Test("pipeline sample prints seeded samples from the trained model")
    func sample() throws {
        let ws = try tinyTrainingWorkspace()
        let early = try runProcess(pipelineBinary, ["sample"], in: ws.root)
        #expect(early.status == 2)
        #expect(early.stderr == "error: stage 'pretrain' has not run: `pipeline run pretrain` first\n")
        #expect(try runProcess(pipelineBinary, ["run"], in: ws.root).status == 0)
        let one = try runProcess(pipelineBinary, ["sample", "--n", "2", "--tokens", "6", "--prompt", "w1 w2", "--seed", "4"], in: ws.root)
        #expect(one.status == 0)
        let lines = one.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "=== sample 1")
        #expect(lines.dropFirst().first?.hasPrefix("w1 w2") == true)
        #expect(one.stdout.contains("=== sample 2\n"))
        #expect(try runProcess(pipelineBinary, ["sample", "--n", "2", "--tokens", "6", "--prompt", "w1 w2", "--seed", "4"], in: ws.root).stdout == one.stdout)
    }
}
