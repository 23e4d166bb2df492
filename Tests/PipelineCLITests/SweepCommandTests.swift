import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("pipeline sweep", .serialized)
struct SweepCommandTests {
    @Test("runs every variant once over shared upstream artifacts; a variant equals pipeline run --set")
    func sweep() throws {
        let ws = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        let first = try runProcess(pipelineBinary, ["sweep", "--set", "ppo.lr=1e-3,3e-3", "--jobs", "2"], in: ws.root)
        #expect(first.status == 0, "\(first.stderr)")
        for stage in ["tokenize", "split", "label-import", "pretrain", "reward-train", "ppo@lr=1e-3", "ppo@lr=3e-3"] {
            #expect(first.stdout.components(separatedBy: "ran         \(stage) ").count == 2, "\(stage) should run exactly once")
        }
        #expect(!first.stdout.contains("ran         ppo "))
        #expect(first.stdout.contains("wrote sweep.json") && first.stdout.hasSuffix("[pipeline.default.sweep.lock]\n"))
        #expect(!ws.exists("pipeline.lock"), "the sweep must not touch the pipeline's lock")

        let summary = try JSON.parse(ws.read("sweep.json"))
        let variants = try #require(summary["variants"]?.arrayValue)
        #expect(variants.map { $0["name"]?.stringValue } == ["ppo@lr=1e-3", "ppo@lr=3e-3"])
        #expect(variants.map { $0["params"]?["lr"] } == [.double(1e-3), .double(3e-3)])
        #expect(variants.allSatisfy { $0["metrics"]?.arrayValue?.count == 9 })
        #expect(variants[0]["output"] != variants[1]["output"])
        // show and checkout find a variant in the sweep's lock.
        let show = try runProcess(pipelineBinary, ["show", "ppo@lr=1e-3"], in: ws.root)
        #expect(show.status == 0 && show.stdout.contains("output   \(variants[0]["output"]!.stringValue!)\n"))
        // gc keeps what the sweep's lock names, even when pruning the run cache.
        #expect(try runProcess(pipelineBinary, ["gc", "--prune-cache"], in: ws.root).status == 0)
        let checkout = try runProcess(pipelineBinary, ["checkout", "ppo@lr=3e-3", "variant"], in: ws.root)
        #expect(checkout.status == 0, "\(checkout.stderr)")
        #expect(ws.exists("variant/metrics.jsonl") && ws.exists("variant/checkpoints/index.json"))
        // The table names each variant with its summary.
        #expect(first.stdout.contains("variant ") && first.stdout.contains("p_happy_end"))

        // A second sweep reuses the upstream stages and the variant it shares with the first.
        let second = try runProcess(pipelineBinary, ["sweep", "--set", "ppo.lr=3e-3,1e-2"], in: ws.root)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stdout.contains("ran         pretrain") && !second.stdout.contains("ran         reward-train"))
        #expect(!second.stdout.contains("ran         ppo@lr=3e-3"))
        #expect(second.stdout.contains("ran         ppo@lr=1e-2"))

        // Same inputs, params and seed: the variant's artifact is the one `pipeline run --set` makes.
        let run = try runProcess(pipelineBinary, ["run", "--set", "ppo.lr=3e-3"], in: ws.root)
        #expect(run.status == 0 && !run.stdout.contains("ran         pretrain"))
        #expect(try ws.output("ppo").map(JSON.string) == variants[1]["output"])
    }

    @Test("bad sweeps: a clear error and exit status 2", arguments: [
        (["--set", "ppo.lr=1e-3", "--set", "pretrain.lr=1"], "error: --set pretrain.lr=1: a sweep varies one stage; the other --set options name 'ppo'\n"),
        (["--set", "ppo.lr=1e-3,abc"], "error: param 'ppo.lr' must be a number, not 'abc'\n"),
        (["--set", "ppo.lrr=1"], "error: unknown param 'lrr' of stage 'ppo' (did you mean 'lr'?); its params are " + PPOStage().params.map(\.name).joined(separator: ", ") + "\n"),
        (["--set", "ppo.lr=1e-3,1e-3"], "error: --set ppo.lr=1e-3,1e-3: a value is listed twice\n"),
    ])
    func badSweeps(arguments: [String], message: String) throws {
        let ws = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        let result = try runProcess(pipelineBinary, ["sweep"] + arguments, in: ws.root)
        #expect(result.status == 2)
        #expect(result.stderr == message)
    }
}
