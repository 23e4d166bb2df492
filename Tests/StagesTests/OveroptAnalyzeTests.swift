import Artifacts
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NN
@testable import Stages
import Testing
import TestStages

@Suite("text statistics of samples")
struct TextStatisticsTests {
    @Test("separator ratio, distinct-n and the copied n-gram share, by hand")
    func byHand() {
        #expect(TextStatistics.separatorRatio([[1, 2, 1], [3]], separators: [1]) == 0.5)
        #expect(TextStatistics.separatorRatio([], separators: [1]).isNaN)
        // Unigrams 1 2 1 2 | 1 2: 2 distinct of 6. Bigrams (1,2) (2,1) (1,2) | (1,2): 2 of 4.
        #expect(TextStatistics.distinct([[1, 2, 1, 2], [1, 2]], n: 1) == 2.0 / 6)
        #expect(TextStatistics.distinct([[1, 2, 1, 2], [1, 2]], n: 2) == 0.5)
        // A bigram never spans two samples: [1] [2] has none.
        #expect(TextStatistics.distinct([[1], [2]], n: 2).isNaN)
        let index = NGramIndex(stream: Array(1...10), n: 3)
        #expect(index.contains([2, 3, 4] as [Int32]) && !index.contains([3, 2, 1] as [Int32]) && !index.contains([1, 2] as [Int32]))
        // (1,2,3) copied; (2,3,9), (3,9,10), (7,7,7) not.
        #expect(index.copiedShare([[1, 2, 3, 9, 10], [7, 7, 7], [1, 2]]) == 0.25)
    }

    @Test("longest repeated run: by hand, and against brute force")
    func longestRepeat() {
        #expect(TextStatistics.longestRepeat([1, 2, 3, 1, 2, 3, 4]) == 3)
        #expect(TextStatistics.longestRepeat([1, 1, 1, 1]) == 3)   // occurrences may overlap
        #expect(TextStatistics.longestRepeat([5, 6, 5]) == 1)
        #expect(TextStatistics.longestRepeat([1, 2, 3]) == 0)
        #expect(TextStatistics.longestRepeat([]) == 0)
        var rng = Xoshiro256(seed: 7)
        for _ in 0..<200 {
            let sample = (0..<Int(rng.next() % 24)).map { _ in Int32(rng.next() % 3) }
            var brute = 0
            for length in stride(from: sample.count - 1, through: 1, by: -1) {
                let grams = (0...(sample.count - length)).map { Array(sample[$0..<($0 + length)]) }
                if Set(grams).count < grams.count { brute = length; break }
            }
            #expect(TextStatistics.longestRepeat(sample) == brute, "\(sample)")
        }
    }
}

@Suite("over-optimisation: the reward-KL fit and the onset rule")
struct OveroptimizationRuleTests {
    @Test("the fit recovers alpha and beta of exact data, and its peak")
    func fit() throws {
        let d = [0, 0.5, 1, 1.5, 2, 3.0]
        let fit = try #require(RewardKLFit(distances: d, gains: d.map { $0 == 0 ? 0 : $0 * (0.8 - 0.3 * log($0)) }))
        #expect(abs(fit.alpha - 0.8) < 1e-12 && abs(fit.beta - 0.3) < 1e-12 && fit.residual < 1e-12 && fit.points == 6)
        #expect(abs(fit.peak! - exp(0.8 / 0.3 - 1)) < 1e-9)
        #expect(abs(fit(2) - 2 * (0.8 - 0.3 * log(2))) < 1e-12 && fit(0) == 0)
        // Noise: the residual is the root mean square of what the curve misses.
        let noisy = try #require(RewardKLFit(distances: [1, 2], gains: [1, 2]))
        #expect(noisy.residual < 1e-12)   // two points, two unknowns: exact
        // Not enough to pin two coefficients: one distance, or only d = 1 (where ln d = 0) and 0.
        #expect(RewardKLFit(distances: [0, 2, 2], gains: [0, 1, 1]) == nil)
        #expect(RewardKLFit(distances: [0, 1], gains: [0, 1]) == nil)
    }

    typealias Point = OveroptimizationOnset.Point
    let thresholds = OveroptimizationOnset.Thresholds(perplexityRatio: 1.25, separatorChange: 0.05)

    @Test("onset: both measures degraded while the reward rises; preferred is the checkpoint before")
    func onset() {
        let start = Point(reward: 0, perplexity: 10, separatorRatio: 0.30)
        // Perplexity 13 >= 12.5 and separators 0.36 - 0.30 >= 0.05: degraded, and the reward rose.
        let rising = OveroptimizationOnset(points: [start, .init(reward: 0.1, perplexity: 11, separatorRatio: 0.32),
                                                    .init(reward: 0.2, perplexity: 13, separatorRatio: 0.36),
                                                    .init(reward: 0.3, perplexity: 15, separatorRatio: 0.40)], thresholds: thresholds)
        #expect(rising.degraded == [false, false, true, true] && rising.onset == 2 && rising.preferred == 1)
        // Separators moving down count too.
        let down = OveroptimizationOnset(points: [start, .init(reward: 0.1, perplexity: 12.5, separatorRatio: 0.24)], thresholds: thresholds)
        #expect(down.onset == 1 && down.preferred == 0)
        // One measure alone is not enough.
        let one = OveroptimizationOnset(points: [start, .init(reward: 0.1, perplexity: 20, separatorRatio: 0.31),
                                                 .init(reward: 0.2, perplexity: 11, separatorRatio: 0.50)], thresholds: thresholds)
        #expect(one.degraded == [false, false, false] && one.onset == nil && one.preferred == 2)
        // Degraded with a falling reward is no onset, but the preferred checkpoint stays before it.
        let falling = OveroptimizationOnset(points: [start, .init(reward: 0.2, perplexity: 11, separatorRatio: 0.30),
                                                     .init(reward: 0.1, perplexity: 13, separatorRatio: 0.40),
                                                     .init(reward: 0.3, perplexity: 14, separatorRatio: 0.40)], thresholds: thresholds)
        #expect(falling.onset == 3 && falling.preferred == 1)
        #expect(OveroptimizationOnset(points: [start], thresholds: thresholds).preferred == 0)
    }
}

/// Parses `text` as XML; true when it is well-formed.
func isWellFormedXML(_ text: String) -> Bool {
    XMLParser(data: Data(text.utf8)).parse()
}

@Suite("SVG charts")
struct SVGChartTests {
    @Test("a standalone, well-formed, deterministic SVG; text is escaped; NaN points are skipped")
    func chart() {
        var chart = SVGChart(title: "<script>alert(1)</script> & \"co\"", xLabel: "sqrt(KL)", yLabel: "p")
        chart.series = [.init("a", points: [(0, 1), (1, .nan), (2, 3)]), .init("b <i>", points: [(0, 2), (2, 2)], style: .dashedLine)]
        chart.markers = [(1, "onset")]
        let svg = chart.svg
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(isWellFormedXML(svg))
        #expect(!svg.contains("<script>") && svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;"))
        #expect(svg.contains("b &lt;i&gt;") && svg.contains("onset"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2)   // (1, NaN) is not drawn
        #expect(svg == chart.svg)
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").count == 2)   // only the namespace
        // Round ticks: 0 to 3 in steps of 0.5 on y.
        #expect(svg.contains(">0.5</text>") && svg.contains(">3.0</text>"))
        let empty = SVGChart(title: "nothing", xLabel: "x", yLabel: "y").svg
        #expect(isWellFormedXML(empty) && empty.contains("no data"))
    }
}

@Suite("overopt-analyze stage")
struct OveroptAnalyzeStageTests {
    @Test("measures every ppo checkpoint from one seed, fits, finds the preferred checkpoint, and writes every file")
    func stage() throws {
        let ws = try stageWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files)
        let outcomes = try ws.run()
        #expect(outcomes["overopt-analyze"] == .ran)
        let dir = try ws.artifact("overopt-analyze"), ppo = try ws.artifact("ppo")
        let index = try JSON.parse(Data(contentsOf: ppo.appendingPathComponent("checkpoints/index.json"))).arrayValue!
        let analysis = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("analysis.json")))
        let rows = try #require(analysis["checkpoints"]?.arrayValue)
        #expect(rows.map { $0["iteration"] } == index.map { $0["iteration"] })
        #expect(rows.count >= 3, "\(index)")
        func column(_ key: String) -> [Double] { rows.map { $0[key]?.doubleValue ?? .nan } }
        // The first checkpoint is the original policy: no KL, no gain, exactly.
        #expect(column("kl")[0] == 0 && column("kl_sampled")[0] == 0 && column("reward_gain")[0] == 0)
        #expect(column("kl").dropFirst().allSatisfy { $0 > 0 })
        #expect(column("p_happy_mean").last! > column("p_happy_mean")[0] + 0.1, "\(column("p_happy_mean"))")
        for key in ["separator_ratio", "distinct_1", "distinct_2", "copied_ngram_share"] {
            #expect(column(key).allSatisfy { (0...1).contains($0) }, "\(key)")
        }
        #expect(column("perplexity").allSatisfy { $0 > 1 } && column("entropy").allSatisfy { $0 > 0 })
        for row in rows { #expect(abs(row["sqrt_kl"]!.doubleValue! - row["kl"]!.doubleValue!.squareRoot()) < 1e-12) }

        // The onset and the preferred checkpoint follow the stated rule from the recorded measures.
        let rule = OveroptimizationOnset(points: rows.map { .init(reward: $0["log_p_happy_mean"]!.doubleValue!, perplexity: $0["perplexity"]!.doubleValue!,
                                                                  separatorRatio: $0["separator_ratio"]!.doubleValue!) },
                                         thresholds: .init(perplexityRatio: 1.25, separatorChange: 0.05))
        #expect(analysis["preferred"]?["iteration"] == rows[rule.preferred]["iteration"])
        #expect(analysis["onset"]?["iteration"] == (rule.onset.map { rows[$0]["iteration"]! } ?? .null))
        #expect(rows.map { $0["degraded"]?.boolValue } == rule.degraded)
        let fit = try #require(RewardKLFit(distances: column("sqrt_kl"), gains: column("reward_gain")))
        #expect(analysis["fit"]?["alpha"]?.doubleValue == fit.alpha && analysis["fit"]?["beta"]?.doubleValue == fit.beta)

        // Every sample of every checkpoint, for eval-pack; the text measures recomputed from their tokens.
        let vocabulary = try Vocabulary.read(from: ws.artifact("tokenize").appendingPathComponent("vocab.json"))
        let train = try TokenFile.read(ws.artifact("split").appendingPathComponent("train.bin"))
        let separators = Set(["\n", " ", ",", "."].map(Token.init).filter(vocabulary.contains).map { Int32(vocabulary.id($0)) })
        #expect(separators.count == 1)   // the tiny corpus has " " alone; its ",", "." and "\n" come joined (", ", ".\n")
        for row in rows {
            let file = dir.appendingPathComponent(String(format: "samples/%04d.jsonl", Int(row["iteration"]!.intValue!)))
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
            #expect(lines.count == 24)
            let p = lines.map { $0["p_happy"]!.doubleValue! }
            #expect(abs(p.reduce(0, +) / 24 - row["p_happy_mean"]!.doubleValue!) < 1e-6)
            let samples = lines.map { $0["tokens"]!.arrayValue!.map { Int32($0.intValue!) } }
            #expect(samples.allSatisfy { $0.count == 8 })
            #expect(lines.map { $0["text"]!.stringValue! } == samples.map { vocabulary.decode($0.map { UInt32($0) }) })
            #expect(row["separator_ratio"]?.doubleValue == TextStatistics.separatorRatio(samples, separators: separators))
            #expect(row["distinct_2"]?.doubleValue == TextStatistics.distinct(samples, n: 2))
            #expect(row["copied_ngram_share"]?.doubleValue == NGramIndex(stream: train, n: 4).copiedShare(samples))
            #expect(row["longest_repeat_max"]?.intValue == Int64(samples.map(TextStatistics.longestRepeat).max()!))
        }
        let csv = try String(contentsOf: dir.appendingPathComponent("checkpoints.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == rows.count + 1 && csv[0].hasPrefix("iteration,path,kl,sqrt_kl,"))
        for plot in ["reward.svg", "separator.svg", "distinct2.svg", "perplexity.svg"] {
            let svg = try String(contentsOf: dir.appendingPathComponent(plot), encoding: .utf8)
            #expect(isWellFormedXML(svg), "\(plot)")
            #expect(svg.contains("preferred (iteration"), "\(plot)")
        }
        let markdown = try String(contentsOf: dir.appendingPathComponent("samples.md"), encoding: .utf8)
        #expect(markdown.components(separatedBy: "~~~~text").count - 1 == 2 * rows.count)
        let summary = try ws.workspace.loadLock(ws.workspace.resolve()).entries["overopt-analyze"]?.summary
        #expect(summary?["checkpoints"] == .int(Int64(rows.count)) && summary?["preferred_iteration"] == analysis["preferred"]?["iteration"])
        withExtendedLifetime(ws) {}
    }
}
