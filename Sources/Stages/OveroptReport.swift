import Artifacts
import Foundation

/// overopt-analyze's files, from the measures of every checkpoint: the fit, the onset, the
/// table, the plots and the samples.
struct OveroptReport {
    let measures: [CheckpointMeasures]
    let thresholds: OveroptimizationOnset.Thresholds
    let onset: OveroptimizationOnset
    /// Mean log p(happy) gained over the first checkpoint (the original policy), in nats.
    let gains: [Double]
    let fit: RewardKLFit?
    let reportSamples: Int
    let params: StageParams

    init(measures: [CheckpointMeasures], params: StageParams) {
        self.measures = measures
        self.params = params
        thresholds = .init(perplexityRatio: params.double("onset_perplexity_ratio"), separatorChange: params.double("onset_separator_change"))
        onset = OveroptimizationOnset(points: measures.map { .init(reward: $0.logPHappyMean, perplexity: $0.perplexity, separatorRatio: $0.separatorRatio) },
                                      thresholds: thresholds)
        gains = measures.map { $0.logPHappyMean - measures[0].logPHappyMean }
        fit = RewardKLFit(distances: measures.map(\.sqrtKL), gains: gains)
        reportSamples = params.int("report_samples")
    }

    func write(to out: URL, context: StageContext) throws {
        try Data(analysis.pretty.utf8).write(to: out.appendingPathComponent("analysis.json"))
        try Data(csv.utf8).write(to: out.appendingPathComponent("checkpoints.csv"))
        for (file, chart) in charts { try Data(chart.svg.utf8).write(to: out.appendingPathComponent(file)) }
        try Data(samplesMarkdown.utf8).write(to: out.appendingPathComponent("samples.md"))
        let folder = out.appendingPathComponent("samples")
        try FileSystem.makeDirectory(folder)
        for m in measures {
            let lines = m.samples.map {
                JSON.object([("text", .string($0.text)), ("tokens", .array($0.tokens.map { .int(Int64($0)) })),
                             ("p_happy", .double($0.pHappy)), ("kl", .double($0.kl))]).canonical + "\n"
            }
            try Data(lines.joined().utf8).write(to: folder.appendingPathComponent(String(format: "%04d.jsonl", m.iteration)))
        }
        context.setSummary("checkpoints", .int(Int64(measures.count)))
        context.setSummary("onset_iteration", onset.onset.map { .int(Int64(measures[$0].iteration)) } ?? .null)
        context.setSummary("preferred_iteration", .int(Int64(measures[onset.preferred].iteration)))
        context.setSummary("preferred_p_happy", value(measures[onset.preferred].pHappyMean))
        context.setSummary("fit_alpha", fit.map { value($0.alpha) } ?? .null)
        context.setSummary("fit_beta", fit.map { value($0.beta) } ?? .null)
    }

    func value(_ x: Double) -> JSON { x.isFinite ? .double(x) : .null }

    /// The columns of checkpoints.csv and of each checkpoint in analysis.json.
    func row(_ k: Int) -> [(String, JSON)] {
        let m = measures[k]
        return [
            ("iteration", .int(Int64(m.iteration))), ("path", .string(m.path)),
            ("kl", value(m.kl)), ("sqrt_kl", value(m.sqrtKL)), ("kl_sampled", value(m.klSampled)),
            ("p_happy_mean", value(m.pHappyMean)), ("p_happy_std", value(m.pHappyStd)),
            ("log_p_happy_mean", value(m.logPHappyMean)), ("reward_gain", value(gains[k])),
            ("separator_ratio", value(m.separatorRatio)), ("distinct_1", value(m.distinct1)), ("distinct_2", value(m.distinct2)),
            ("longest_repeat_mean", value(m.longestRepeatMean)), ("longest_repeat_max", .int(Int64(m.longestRepeatMax))),
            ("copied_ngram_share", value(m.copiedShare)), ("perplexity", value(m.perplexity)), ("entropy", value(m.entropy)),
            ("degraded", .bool(onset.degraded[k])),
        ]
    }

    var analysis: JSON {
        let preferred = measures[onset.preferred]
        var fitJSON: JSON = .null
        if let fit {
            fitJSON = .object([("model", .string("R(d) = d (alpha - beta ln d), d = sqrt(KL), R = mean log p(happy) gained over the original policy")),
                               ("alpha", value(fit.alpha)), ("beta", value(fit.beta)), ("residual_rms", value(fit.residual)),
                               ("points", .int(Int64(fit.points))), ("peak_sqrt_kl", fit.peak.map(value) ?? .null)])
        }
        return .object([
            ("n_samples", .int(Int64(params.int("n_samples")))), ("rollout_len", .int(Int64(params.int("rollout_len")))),
            ("separators", .array(OveroptAnalyzeStage.separators.map(JSON.string))),
            ("memorization_n", .int(Int64(params.int("memorization_n")))),
            ("checkpoints", .array(measures.indices.map { .object(row($0)) })),
            ("fit", fitJSON),
            ("onset", .object([
                ("rule", .string("the first checkpoint whose perplexity under the original model is at least perplexity_ratio times the start's and whose separator ratio is at least separator_change from the start's, while mean log p(happy) still rises")),
                ("perplexity_ratio", .double(thresholds.perplexityRatio)), ("separator_change", .double(thresholds.separatorChange)),
                ("iteration", onset.onset.map { .int(Int64(measures[$0].iteration)) } ?? .null),
            ])),
            ("preferred", .object([("iteration", .int(Int64(preferred.iteration))), ("path", .string(preferred.path)),
                                   ("samples", .string(String(format: "samples/%04d.jsonl", preferred.iteration))),
                                   ("sqrt_kl", value(preferred.sqrtKL)), ("p_happy_mean", value(preferred.pHappyMean))])),
        ])
    }

    var csv: String {
        let rows = measures.indices.map(row)
        var text = rows[0].map(\.0).joined(separator: ",") + "\n"
        for row in rows {
            text += row.map { _, v in
                switch v {
                case let .int(i): return String(i)
                case let .double(d): return JSON.format(d)
                case let .string(s): return s
                case let .bool(b): return String(b)
                default: return ""
                }
            }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// The x of every plot: sqrt(KL) of each checkpoint.
    var distances: [Double] { measures.map(\.sqrtKL) }

    func markers() -> [(x: Double, label: String)] {
        var marks: [(x: Double, label: String)] = []
        if let k = onset.onset { marks.append((measures[k].sqrtKL, "onset (iteration \(measures[k].iteration))")) }
        let preferred = measures[onset.preferred]
        marks.append((preferred.sqrtKL, "preferred (iteration \(preferred.iteration))"))
        return marks
    }

    func chart(_ title: String, _ y: String, _ values: [Double], thresholds: [(name: String, value: Double)] = []) -> SVGChart {
        var chart = SVGChart(title: title, xLabel: "sqrt(KL from the original), sqrt(nats)", yLabel: y)
        chart.series = [.init("measured", points: Array(zip(distances, values)).map { (x: $0.0, y: $0.1) })]
        let span = (distances.min() ?? 0, distances.max() ?? 1)
        for t in thresholds {
            chart.series.append(.init(t.name, points: [(span.0, t.value), (span.1, t.value)], style: .dashedLine))
        }
        chart.markers = markers()
        return chart
    }

    var charts: [(String, SVGChart)] {
        var reward = chart("Reward-model gain vs distance from the original", "mean log p(happy) gained (nats)", gains)
        if let fit, let top = distances.max(), top > 0 {
            let curve = (0...60).map { i -> (x: Double, y: Double) in let d = top * Double(i) / 60; return (d, fit(d)) }
            reward.series.append(.init(String(format: "fit: d (%.3g - %.3g ln d)", fit.alpha, fit.beta), points: curve, style: .line))
        }
        let start = measures[0]
        return [
            ("reward.svg", reward),
            ("separator.svg", chart("Separator ratio (\"\\n\", \" \", \",\", \".\")", "share of tokens", measures.map(\.separatorRatio),
                                    thresholds: [("start - \(JSON.format(thresholds.separatorChange))", start.separatorRatio - thresholds.separatorChange),
                                                 ("start + \(JSON.format(thresholds.separatorChange))", start.separatorRatio + thresholds.separatorChange)])),
            ("distinct2.svg", chart("Distinct-2 (distinct bigrams / bigrams)", "distinct-2", measures.map(\.distinct2))),
            ("perplexity.svg", chart("Perplexity of the samples under the original model", "perplexity", measures.map(\.perplexity),
                                     thresholds: [("\(JSON.format(thresholds.perplexityRatio)) x start", start.perplexity * thresholds.perplexityRatio)])),
        ]
    }

    var samplesMarkdown: String {
        var text = "# Samples per checkpoint\n\nThe first \(reportSamples) of each checkpoint's \(params.int("n_samples")) completions (the same random stream for every checkpoint).\n"
        for (k, m) in measures.enumerated() {
            var tags: [String] = []
            if k == onset.onset { tags.append("onset") }
            if k == onset.preferred { tags.append("preferred") }
            text += String(format: "\n## Iteration %d: sqrt(KL) %.2f, mean p(happy) %.3f, perplexity %.1f", m.iteration, m.sqrtKL, m.pHappyMean, m.perplexity)
            text += tags.isEmpty ? "\n" : " (\(tags.joined(separator: ", ")))\n"
            for sample in m.samples.prefix(reportSamples) {
                text += String(format: "\np(happy) %.3f, KL %.2f:\n\n", sample.pHappy, sample.kl)
                text += "~~~~text\n\(sample.text.replacingOccurrences(of: "~~~~", with: "~ ~ ~ ~"))\n~~~~\n"
            }
        }
        return text
    }
}
