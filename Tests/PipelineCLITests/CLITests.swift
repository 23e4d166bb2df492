import Artifacts
import Foundation
import Testing
import TestStages

/// The `pipeline` command as a user runs it: `stage-host` is `pipeline` built with the test stages.
let stageHost: URL = {
    let candidates = [
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug"),
    ]
    for dir in candidates {
        let url = dir.appendingPathComponent("stage-host")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    fatalError("stage-host not found next to the test binary; build with `swift build --build-tests`")
}()

func pipeline(_ args: String..., in ws: ScratchWorkspace) throws -> ProcessResult {
    try runProcess(stageHost, args, in: ws.root)
}

/// Replaces durations ("0.01 s") by "T" so output can be compared exactly.
func masked(_ text: String) -> String {
    text.replacingOccurrences(of: #"\d+\.\d\d s"#, with: "T", options: .regularExpression)
}

@Suite("pipeline command")
struct CLITests {
    @Test("run prints one line per stage, then a summary")
    func runOutput() throws {
        let ws = try ScratchWorkspace()
        let first = try pipeline("run", in: ws)
        #expect(first.status == 0)
        #expect(masked(first.stdout) == """
        ran         src         T
        ran         up          T
        ran         low         T
        ran         both        T
        ran         mix         T
        5 stages: 5 ran, 0 cached, 0 up to date in T [pipeline.lock]

        """)
        let second = try pipeline("run", "--set", "up.mode=lower", in: ws)
        #expect(masked(second.stdout) == """
        up to date  src         T
        ran         up          T
        up to date  low         T
        ran         both        T
        ran         mix         T
        5 stages: 3 ran, 0 cached, 2 up to date in T [pipeline.lock]

        """)
        let third = try pipeline("run", "mix", "--workspace", ws.root.path, in: ws)
        #expect(masked(third.stdout).contains("cached      up          T  (run cache)\n"))
    }

    @Test("status explains staleness, in text and JSON")
    func status() throws {
        let ws = try ScratchWorkspace()
        #expect(try pipeline("run", in: ws).status == 0)
        let text = try pipeline("status", "--set", "src.repeat=3", in: ws)
        #expect(text.stdout.hasPrefix("src         stale: src.repeat 2 -> 3\nup          stale: input text waits for src to run\n"))
        let json = try JSON.parse(try pipeline("status", "--json", in: ws).stdout)
        #expect(json["stages"]?.arrayValue?.compactMap { $0["state"]?.stringValue } == Array(repeating: "up-to-date", count: 5))
    }

    @Test("bad input: exit 2, one message, nothing written", arguments: [
        (["run", "--profile", "huge"], "error: unknown profile 'huge'; pipeline.json defines: default, paper, tiny\n"),
        (["run", "--set", "up.colour=red"], "error: --set up.colour=red: unknown param 'colour' of stage 'up'; its params are mode, suffix, scale, fail\n"),
        (["run", "nosuch"], "error: unknown stage 'nosuch'; stages: src, up, low, both, mix\n"),
        (["run", "--jobs", "0"], "Error: --jobs must be at least 1\nUsage: pipeline run [--workspace <DIR>] [--profile <NAME>] [<stages> ...] [--set <STAGE.PARAM=VALUE> ...] [--force <STAGE> ...] [--jobs <jobs>]\n  See 'pipeline run --help' for more information.\n"),
        (["show", "up"], "error: stage 'up' has not run with profile default: `pipeline run up` first\n"),
    ])
    func badInput(args: [String], message: String) throws {
        let ws = try ScratchWorkspace()
        let result = try runProcess(stageHost, args, in: ws.root)
        #expect(result.status == 2)
        #expect(result.stderr == message)
        #expect(result.stdout == "")
        #expect(!ws.exists("artifacts"))
    }

    @Test("a pipeline.json that is not JSON is reported with line and column")
    func badJSON() throws {
        let ws = try ScratchWorkspace(config: "{\"stages\": {]}")
        let result = try pipeline("status", in: ws)
        #expect(result.status == 2)
        #expect(result.stderr == "error: pipeline.json:1:13: expected a quoted member name, found ']'\n")
    }

    @Test("show, checkout, dag, archive and import work end to end")
    func inspection() throws {
        let ws = try ScratchWorkspace()
        #expect(try pipeline("run", in: ws).status == 0)
        let show = try pipeline("show", "up", in: ws)
        #expect(show.status == 0)
        #expect(show.stdout.contains("stage    up (uses transform, version 1)\n"))
        #expect(show.stdout.contains("  mode = \"upper\"\n"))
        #expect(show.stdout.contains("files (2, 44 B)\n  10 B       nested/meta.txt\n  34 B       text.txt\n"))
        let checkout = try pipeline("checkout", "up", "out", in: ws)
        #expect(checkout.status == 0)
        #expect(try ws.read("out/text.txt") == "ALPHA\nBETA\nGAMMA\nALPHA\nBETA\nGAMMA\n")
        #expect(try pipeline("checkout", "up", "out", in: ws).status == 2)

        #expect(try pipeline("dag", in: ws).stdout.hasPrefix("src (uses source): reads a text file\n  <- text: file in.txt\nup (uses transform): transforms text\n  <- text: stage src\n"))
        #expect(try pipeline("dag", "--dot", in: ws).stdout.contains("  \"up\" -> \"both\";\n"))

        #expect(try pipeline("archive", "-o", "share.tar.zst", in: ws).status == 0)
        let other = try ScratchWorkspace()
        let imported = try runProcess(stageHost, ["import", ws.url("share.tar.zst").path], in: other.root)
        #expect(imported.status == 0)
        #expect(imported.stdout == "imported \(ws.url("share.tar.zst").path): 5 new objects, 5 stages of profile default; `pipeline run` will use them\n")
        let restored = masked(try pipeline("run", in: other).stdout)
        #expect(restored.hasPrefix("cached      src         T  (imported from share.tar.zst; `pipeline verify` checks it)\n"))
        #expect(restored.hasSuffix("5 stages: 0 ran, 5 cached, 0 up to date in T [pipeline.lock]\n"))
        let verify = try pipeline("verify", in: other)
        #expect(verify.status == 0)
        #expect(verify.stdout.hasSuffix("all 5 stages reproduced\n"))
    }

    @Test("verify exits 1 and names the differing file of a non-deterministic stage")
    func verifyMismatch() throws {
        let ws = try ScratchWorkspace(config: #"{"stages": {"n": {"uses": "noisy"}}}"#)
        #expect(try pipeline("run", in: ws).status == 0)
        let result = try pipeline("verify", in: ws)
        #expect(result.status == 1)
        #expect(result.stdout.contains("files that differ: random.txt\n"))
        #expect(result.stdout.hasSuffix("1 of 1 stage did not reproduce\n"))
    }

    @Test("--help teaches the commands")
    func help() throws {
        let ws = try ScratchWorkspace()
        let root = try pipeline("--help", in: ws)
        #expect(root.status == 0)
        for sub in ["run", "status", "dag", "show", "checkout", "archive", "import", "verify", "gc"] {
            #expect(root.stdout.contains("  \(sub) "))
        }
        let run = try pipeline("run", "--help", in: ws)
        #expect(run.stdout.contains("--set <STAGE.PARAM=VALUE>"))
        #expect(run.stdout.contains("pipeline run --set ppo.lr=1e-4"))
    }
}
