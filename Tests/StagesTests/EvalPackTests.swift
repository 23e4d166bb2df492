import Artifacts
import Foundation
@testable import Stages
import Testing
import TestStages

@Suite("eval-pack stage")
struct EvalPackStageTests {
    @Test("shuffles disjoint samples of the preferred checkpoint and the pretrained model; the key stays out of the page")
    func pack() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        #expect(try ws.run()["eval-pack"] == .ran)
        let dir = try ws.artifact("eval-pack"), analysisDir = try ws.artifact("overopt-analyze")
        let analysis = try JSON.parse(Data(contentsOf: analysisDir.appendingPathComponent("analysis.json")))
        let key = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("key.json")))
        let items = try #require(key["items"]?.arrayValue)
        #expect(items.map { $0["id"]?.stringValue } == (1...11).map { String(format: "%02d", $0) })
        let policy = items.filter { $0["source"] == .string("policy") }, pretrained = items.filter { $0["source"] == .string("pretrained") }
        #expect(policy.count == 6 && pretrained.count == 5)
        #expect(policy.allSatisfy { $0["iteration"] == analysis["preferred"]?["iteration"] })
        #expect(pretrained.allSatisfy { $0["iteration"] == .int(0) })
        // No two samples share a position of overopt-analyze's random stream.
        let indices = items.map { $0["sample_index"]!.intValue! }
        #expect(Set(indices).count == 11)
        // Each item is overopt-analyze's sample, with its score.
        for item in items {
            let file = analysisDir.appendingPathComponent(String(format: "samples/%04d.jsonl", item["iteration"]!.intValue!))
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            let sample = try JSON.parse(String(lines[Int(item["sample_index"]!.intValue!)]))
            #expect(item["text"] == sample["text"] && item["p_happy"] == sample["p_happy"])
        }
        // Sources are mixed, not in blocks.
        let sources = items.map { $0["source"]!.stringValue! }
        #expect(sources != sources.sorted() && sources != sources.sorted().reversed())
        // The page holds ids and texts, not the key.
        let html = try String(contentsOf: dir.appendingPathComponent("eval.html"), encoding: .utf8)
        #expect(!html.contains("pretrained\"") && !html.contains("\"source\"") && !html.contains("p_happy") && !html.contains("sample_index"))
        #expect(html.contains(#""pack_id":"\#(key["pack_id"]!.stringValue!)""#))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        withExtendedLifetime(ws) {}
    }

    @Test("more samples than overopt-analyze made: a clear error")
    func tooMany() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        let reports = try ws.reports(set: ["eval-pack.policy_samples=20"])
        #expect(reports.first { $0.stage == "eval-pack" }?.outcome
            == .failed("eval-pack: 5 + 20 samples need 25 distinct sample indices, but overopt-analyze made 24 per checkpoint; raise overopt-analyze.n_samples or lower the counts"))
    }
}

/// A headless Chromium from the distribution (`make test` installs it).
struct Chromium {
    let executable: URL

    init() throws {
        let names = ["chromium", "chromium-browser", "google-chrome"]
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        guard let found = names.lazy.flatMap({ name in paths.map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) } })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw PipelineError.failed("no Chromium on PATH: `make deps` installs it (apt-get install chromium)")
        }
        executable = found
    }

    /// Loads `page`, lets its scripts run, and returns the DOM as serialised HTML.
    func dumpDOM(_ page: URL, profile: URL) throws -> String {
        let result = try runProcess(executable, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                                                 "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--dump-dom", page.absoluteString])
        guard result.status == 0 else { throw PipelineError.failed("chromium failed (\(result.status)): \(result.stderr)") }
        return result.stdout
    }
}

@Suite("the rating page in a real browser")
struct EvalPageBrowserTests {
    static let hostile = "</script><script>document.title = 'injected'</script>\n<b>bold</b> & \"quoted\" 'single'"

    /// The page with a test script appended: it drives the page as a user would and writes what it
    /// saw as JSON into `<pre id="test-result">`.
    func harness(_ html: String, script: String) -> String {
        html.replacingOccurrences(of: "</body>", with: "<script>\n\(script)\n</script>\n</body>")
    }

    func result(_ dom: String) throws -> JSON {
        guard let start = dom.range(of: "<pre id=\"test-result\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw PipelineError.failed("the test script wrote no result; the page said:\n\(dom.prefix(3000))")
        }
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return try JSON.parse(text)
    }

    @Test("rate every sample with the keyboard, export, reload: ratings, escaping and saved progress")
    func rateExportReload() throws {
        let chromium = try Chromium()
        let items = [("1", "Now is the winter of our discontent"), ("2", EvalPageBrowserTests.hostile), ("3", "Good night, sweet prince")]
        let html = EvalPage.html(packID: "feedc0ffee123456", items: items.map { (id: $0.0, text: $0.1) })
        #expect(!html.contains("<script>document.title"))
        let folder = try FileSystem.makeTemporaryDirectory(prefix: "eval-page")
        defer { FileSystem.remove(folder) }
        let profile = folder.appendingPathComponent("profile")

        let rate = """
        (async function () {
          var out = { texts: [], titles: [] };
          function key(k, target) { (target || document.body).dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true })); }
          var rater = document.getElementById("rater"), notes = document.getElementById("notes");
          for (var i = 0; i < 3; i++) {
            out.texts.push(document.getElementById("sample-text").textContent);
            key(String(1 + i)); key(String(5 - i));
            if (i === 1) { notes.value = "odd <one>"; notes.dispatchEvent(new Event("input")); key("1", notes); }
            key("ArrowRight");
          }
          key("ArrowUp"); key("ArrowUp"); key("4"); key("ArrowLeft");   // the third text's sense: from 3 to 4
          out.progress = document.getElementById("progress").textContent;
          var captured = null;
          URL.createObjectURL = function (blob) { captured = blob; return "blob:test"; };
          HTMLAnchorElement.prototype.click = function () { out.download = this.download; };
          document.getElementById("export").click();
          out.withoutName = document.getElementById("status").textContent;
          rater.value = "Ann Hathaway"; rater.dispatchEvent(new Event("input"));
          document.getElementById("export").click();
          out.exported = JSON.parse(await captured.text());
          out.status = document.getElementById("status").textContent;
          out.title = document.title;
          out.scripts = document.scripts.length;
          var pre = document.createElement("pre"); pre.id = "test-result"; pre.textContent = JSON.stringify(out);
          document.body.appendChild(pre);
        })();
        """
        let first = folder.appendingPathComponent("rate.html")
        try Data(harness(html, script: rate).utf8).write(to: first)
        let seen = try result(chromium.dumpDOM(first, profile: profile))
        #expect(seen["texts"] == .array(items.map { .string($0.1) }))   // markup shown as text
        #expect(seen["title"] == .string("Blind evaluation of Shakespeare samples") && seen["scripts"] == .int(3))
        #expect(seen["progress"] == .string("Text 2 of 3 \u{b7} 3 fully rated"))
        #expect(seen["withoutName"] == .string("Please enter your name first."))
        #expect(seen["download"] == .string("ratings-Ann_Hathaway-feedc0ffee123456.json"))
        #expect(seen["status"] == .string("Exported all ratings. Thank you!"))
        let exported = try #require(seen["exported"])
        #expect(exported["format"] == .string(EvalPage.ratingsFormat) && exported["version"] == .int(1))
        #expect(exported["pack_id"] == .string("feedc0ffee123456") && exported["rater"] == .string("Ann Hathaway"))
        let ratings = try #require(exported["ratings"]?.arrayValue)
        #expect(ratings.map { $0["id"] } == [.string("1"), .string("2"), .string("3")])
        #expect(ratings.map { $0["positivity"] } == [.int(1), .int(2), .int(3)])
        #expect(ratings.map { $0["sense"] } == [.int(5), .int(4), .int(4)])
        #expect(ratings.map { $0["notes"] } == [.string(""), .string("odd <one>"), .string("")])

        // A new visit to the page (same browser profile) finds the progress where it was left.
        let reload = """
        (function () {
          var pressed = function (q) { var b = document.querySelector("#q-" + q + " button[aria-pressed=true]"); return b ? b.textContent : null; };
          var out = { progress: document.getElementById("progress").textContent, rater: document.getElementById("rater").value,
                      positivity: pressed("positivity"), sense: pressed("sense") };
          var pre = document.createElement("pre"); pre.id = "test-result"; pre.textContent = JSON.stringify(out);
          document.body.appendChild(pre);
        })();
        """
        let second = folder.appendingPathComponent("reload.html")
        try Data(harness(html, script: reload).utf8).write(to: second)
        let restored = try result(chromium.dumpDOM(second, profile: profile))
        #expect(restored == .object([("progress", .string("Text 2 of 3 \u{b7} 3 fully rated")), ("rater", .string("Ann Hathaway")),
                                     ("positivity", .string("2")), ("sense", .string("4"))]))
    }
}
