import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("pipeline report", .serialized)
struct ReportCommandTests {
    func count(_ text: String, _ part: String) -> Int { text.components(separatedBy: part).count - 1 }

    @Test("one self-contained page: the stage table from the lock, a section per stage, the sweep, samples")
    func report() throws {
        let ws = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        // Before anything ran: every stage is listed as not run.
        let empty = try runProcess(pipelineBinary, ["report", "-o", "empty.html"], in: ws.root)
        #expect(empty.status == 0, "\(empty.stderr)")
        let nowhere = try runProcess(pipelineBinary, ["report", "-o", "nowhere/r.html"], in: ws.root)
        #expect(nowhere.status == 2 && nowhere.stderr.contains("cannot write nowhere/r.html: the folder ") && !ws.exists("nowhere"))
        let before = try ws.read("empty.html")
        #expect(count(before, "<td>not run</td>") == 8 && before.contains("Not run yet: `pipeline run pretrain`."))

        #expect(try runProcess(pipelineBinary, ["run"], in: ws.root).status == 0)
        let sweep = try runProcess(pipelineBinary, ["sweep", "--set", "ppo.lr=1e-3,3e-3"], in: ws.root)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let result = try runProcess(pipelineBinary, ["report"], in: ws.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote report.html ("))
        let html = try ws.read("report.html")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        // Self-contained: no scripts, nothing fetched; the only URL is the SVG namespace.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(count(html, "http") == count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""))
        // The stage table shows each stage's key and output as the lock has them.
        let lock = try ws.workspace.loadLock(ws.workspace.resolve())
        for (stage, entry) in lock.entries {
            #expect(html.contains("<tr><td>\(stage)</td><td><code>\(entry.invocation.key.prefix(12))</code></td><td><code>\(entry.output.prefix(12))</code></td>"), "\(stage)")
        }
        #expect(count(html, "<td>up to date</td>") == 8)
        for title in ["Stages", "Pretraining", "Reward model", "PPO", "Over-optimisation", "Blind evaluation", "Sweep of ppo", "Samples before and after"] {
            #expect(html.contains("<h2>\(title)</h2>"), "\(title)")
        }
        // Pretraining 1, reward model 3, PPO 4, over-optimisation 4, sweep 3 plots.
        #expect(count(html, "<svg ") == 15)
        #expect(html.contains("<td>ppo@lr=1e-3</td>") && html.contains("<td>ppo@lr=3e-3</td>"))
        let analysis = try JSON.parse(Data(contentsOf: ws.artifact("overopt-analyze").appendingPathComponent("analysis.json")))
        let preferred = try #require(analysis["preferred"]?["iteration"]?.intValue)
        #expect(html.contains("Preferred checkpoint: iteration \(preferred) "))
        #expect(html.contains("<h3>The preferred checkpoint (iteration \(preferred))</h3>"))
        // Sample text is escaped like any other text.
        #expect(count(html, "<pre>") == 1 + 6)

        // A stale stage says why.
        try ws.write("pipeline.json", TinyRewardPipeline.config.replacingOccurrences(of: #""lr": 0.003}"#, with: #""lr": 0.002}"#))
        #expect(try runProcess(pipelineBinary, ["report", "-o", "stale.html"], in: ws.root).status == 0)
        let stale = try ws.read("stale.html")
        #expect(stale.contains("<td>stale: ppo.lr 0.003 -&gt; 0.002</td>"), "\(stale)")
    }
}
