import Artifacts
import Foundation

/// The report's sections, one per stage that has run; nil when the stage has not.
extension PipelineReport {
    func notRun(_ stage: String, _ title: String) -> String? {
        guard pipeline[stage] != nil else { return nil }
        let flag = pipeline.profile == "default" ? "" : " --profile \(pipeline.profile)"
        return ReportHTML.section(title, ReportHTML.paragraph("Not run yet: `pipeline run \(stage)\(flag)`."))
    }

    var pretrainSection: String? {
        guard lock.entries["pretrain"] != nil else { return notRun("pretrain", "Pretraining") }
        let lines = jsonLines("pretrain", "metrics.jsonl")
        var chart = SVGChart(title: "Pretraining loss", xLabel: "step", yLabel: "cross-entropy (nats per token)")
        chart.series = [.init("train", points: ReportHTML.downsample(ReportHTML.points(lines, "step", "train_loss")), style: .line),
                        .init("valid", points: ReportHTML.points(lines, "step", "valid_loss"))]
        var content = ""
        if let valid = lines.last(where: { $0["valid_loss"] != nil }) {
            content += ReportHTML.table(header: ["valid loss", "perplexity", "next-token accuracy", "steps", "parameters"], rows: [[
                ReportHTML.format(valid["valid_loss"] ?? .null), ReportHTML.format(valid["perplexity"] ?? .null),
                ReportHTML.format(valid["accuracy"] ?? .null), summary("pretrain", "steps") ?? "-", summary("pretrain", "parameters") ?? "-",
            ]])
        }
        content += ReportHTML.figures([chart.svg])
        if let samples = text("pretrain", "samples.txt") {
            let last = samples.components(separatedBy: "=== ").last ?? samples
            content += "<h3>Samples (last evaluation)</h3>\n" + ReportHTML.preformatted("=== " + String(last.prefix(1500)))
        }
        return ReportHTML.section("Pretraining", content)
    }

    var rewardSection: String? {
        guard lock.entries["reward-train"] != nil else { return notRun("reward-train", "Reward model") }
        let lines = jsonLines("reward-train", "metrics.jsonl")
        var loss = SVGChart(title: "Reward model loss", xLabel: "epoch", yLabel: "cross-entropy against the soft targets")
        loss.series = [.init("train", points: ReportHTML.points(lines, "epoch", "train_loss")),
                       .init("valid", points: ReportHTML.points(lines, "epoch", "valid_loss"))]
        var accuracy = SVGChart(title: "Reward model accuracy", xLabel: "epoch", yLabel: "accuracy (happy and sad passages)")
        accuracy.series = [.init("train", points: ReportHTML.points(lines, "epoch", "train_accuracy")),
                           .init("valid", points: ReportHTML.points(lines, "epoch", "valid_accuracy"))]
        var figures = [loss.svg, accuracy.svg]
        var content = ""
        if let eval = json("reward-train", "eval.json") {
            let probe = eval["pretrained_samples"]
            content += ReportHTML.table(header: ["valid accuracy (happy/sad)", "Brier score", "valid passages", "p(happy) of pretrained samples"], rows: [[
                ReportHTML.format(eval["accuracy_happy_sad"] ?? .null), ReportHTML.format(eval["brier"] ?? .null), ReportHTML.format(eval["examples"] ?? .null),
                "mean \(ReportHTML.format(probe?["mean_p_happy"] ?? .null)), std \(ReportHTML.format(probe?["std_p_happy"] ?? .null))",
            ]])
            let bins = (eval["reliability"]?.arrayValue ?? []).filter { ($0["count"]?.intValue ?? 0) > 0 }
            var reliability = SVGChart(title: "Calibration (validation passages, 10 bins)", xLabel: "mean predicted p(happy)", yLabel: "mean target")
            reliability.series = [.init("bins", points: ReportHTML.points(bins, "mean_p_happy", "mean_target")),
                                  .init("perfect calibration", points: [(0, 0), (1, 1)], style: .dashedLine)]
            figures.append(reliability.svg)
            if let confusion = eval["confusion"] {
                content += "<h3>Confusion (validation)</h3>\n" + ReportHTML.table(header: ["label", "predicted happy", "predicted sad"], rows: ["happy", "sad", "neutral"].map {
                    [$0, ReportHTML.format(confusion[$0]?["predicted_happy"] ?? .null), ReportHTML.format(confusion[$0]?["predicted_sad"] ?? .null)]
                })
            }
        }
        return ReportHTML.section("Reward model", content + ReportHTML.figures(figures))
    }

    var ppoSection: String? {
        guard lock.entries["ppo"] != nil else { return notRun("ppo", "PPO") }
        let lines = jsonLines("ppo", "metrics.jsonl")
        func chart(_ title: String, _ y: String, _ key: String, scale: Double = 1) -> String {
            var c = SVGChart(title: title, xLabel: "iteration", yLabel: y)
            c.series = [.init(key, points: ReportHTML.points(lines, "iteration", key, scale: scale))]
            return c.svg
        }
        var content = ""
        if let run = json("ppo", "run.json"), let first = lines.first, let last = lines.last {
            content += ReportHTML.table(header: ["iterations", "stopped by", "p(happy) start", "p(happy) end", "KL end (nats)", "mean clip fraction"], rows: [[
                ReportHTML.format(run["iterations"] ?? .null), ReportHTML.format(run["stop_reason"] ?? .null),
                ReportHTML.format(first["p_happy"] ?? .null), ReportHTML.format(last["p_happy"] ?? .null),
                ReportHTML.format(last["kl_exact"] ?? .null), summary("ppo", "clipfrac_mean") ?? "-",
            ]])
        }
        content += ReportHTML.figures([
            chart("Mean p(happy) of the rollouts", "p(happy)", "p_happy"),
            chart("KL(policy || original) per completion", "nats", "kl_exact"),
            chart("Clip fraction", "% of tokens clipped", "clipfrac", scale: 100),
            chart("Policy entropy", "nats per token", "entropy"),
        ])
        return ReportHTML.section("PPO", content)
    }

    var overoptSection: String? {
        guard lock.entries["overopt-analyze"] != nil, let analysis = json("overopt-analyze", "analysis.json") else {
            return notRun("overopt-analyze", "Over-optimisation")
        }
        var content = ""
        let fit = analysis["fit"]
        let onset = analysis["onset"]?["iteration"].map(ReportHTML.format) ?? "-"
        let preferred = analysis["preferred"]
        content += ReportHTML.paragraph("Onset of over-optimisation: " + (onset == "-" ? "none found" : "iteration \(onset)")
            + ". Preferred checkpoint: iteration \(ReportHTML.format(preferred?["iteration"] ?? .null)) (sqrt(KL) \(ReportHTML.format(preferred?["sqrt_kl"] ?? .null)), mean p(happy) \(ReportHTML.format(preferred?["p_happy_mean"] ?? .null))).")
        if let fit, fit != .null {
            content += ReportHTML.paragraph("Fit of Gao et al. (2022), R(d) = d (alpha - beta ln d): alpha \(ReportHTML.format(fit["alpha"] ?? .null)), beta \(ReportHTML.format(fit["beta"] ?? .null)), residual (RMS) \(ReportHTML.format(fit["residual_rms"] ?? .null)).")
        }
        content += ReportHTML.paragraph("Rule: " + (analysis["onset"]?["rule"]?.stringValue ?? "") + ".")
        let columns = ["iteration", "sqrt_kl", "p_happy_mean", "perplexity", "separator_ratio", "distinct_2", "longest_repeat_mean", "copied_ngram_share", "degraded"]
        let rows = (analysis["checkpoints"]?.arrayValue ?? []).map { row in columns.map { ReportHTML.format(row[$0] ?? .null) } }
        let n = analysis["memorization_n"].map(ReportHTML.format) ?? "n"
        content += ReportHTML.table(header: ["iteration", "sqrt(KL)", "p(happy)", "perplexity", "separators", "distinct-2", "longest repeat", "copied \(n)-grams", "degraded"], rows: rows)
        content += ReportHTML.figures(["reward.svg", "separator.svg", "distinct2.svg", "perplexity.svg"].compactMap { text("overopt-analyze", $0) })
        return ReportHTML.section("Over-optimisation", content)
    }

    var evalPackSection: String? {
        guard lock.entries["eval-pack"] != nil, let key = json("eval-pack", "key.json") else { return notRun("eval-pack", "Blind evaluation") }
        let items = key["items"]?.arrayValue ?? []
        let counts = [EvalPackStage.sources.policy, EvalPackStage.sources.pretrained].map { source in
            "\(items.filter { $0["source"]?.stringValue == source }.count) \(source)"
        }
        let flag = pipeline.profile == "default" ? "" : " --profile \(pipeline.profile)"
        return ReportHTML.section("Blind evaluation", ReportHTML.paragraph(
            "Pack \(key["pack_id"]?.stringValue ?? "?"): \(items.count) samples (\(counts.joined(separator: ", "))), shuffled. "
            + "`pipeline checkout eval-pack\(flag) pack/` and send pack/eval.html to the raters; then `pipeline eval-report\(flag) RATINGS.json...`."))
    }

    var sweepSection: String? {
        guard let sweep, let variants = sweep["variants"]?.arrayValue, !variants.isEmpty else { return nil }
        func chart(_ title: String, _ y: String, _ key: String, scale: Double = 1) -> String {
            var c = SVGChart(title: title, xLabel: "iteration", yLabel: y)
            c.series = variants.map { .init($0["name"]?.stringValue ?? "?", points: ReportHTML.points($0["metrics"]?.arrayValue ?? [], "iteration", key, scale: scale), style: .line) }
            c.height = 420
            return c.svg
        }
        let rows = variants.map { v in
            [v["name"]?.stringValue ?? "?"] + ["p_happy_end", "kl_end", "clipfrac_mean", "stop_reason"].map { ReportHTML.format(v["summary"]?[$0] ?? .null) }
        }
        return ReportHTML.section("Sweep of \(sweep["stage"]?.stringValue ?? "?")",
            ReportHTML.table(header: ["variant", "p(happy) end", "KL end", "mean clip fraction", "stopped by"], rows: rows)
            + ReportHTML.figures([chart("Mean p(happy) per variant", "p(happy)", "p_happy"), chart("KL per variant", "nats", "kl_exact"),
                                  chart("Clip fraction per variant", "% clipped", "clipfrac", scale: 100)]))
    }

    var samplesSection: String? {
        guard let analysis = json("overopt-analyze", "analysis.json"), let first = analysis["checkpoints"]?.arrayValue?.first?["iteration"]?.intValue,
              let preferred = analysis["preferred"]?["iteration"]?.intValue else { return nil }
        func samples(_ iteration: Int64, _ title: String) -> String {
            let lines = jsonLines("overopt-analyze", String(format: "samples/%04d.jsonl", iteration)).prefix(3)
            return "<h3>\(ReportHTML.escape(title))</h3>\n" + lines.map {
                "<p class=\"muted\">p(happy) \(ReportHTML.format($0["p_happy"] ?? .null))</p>\n" + ReportHTML.preformatted($0["text"]?.stringValue ?? "")
            }.joined()
        }
        return ReportHTML.section("Samples before and after",
            samples(first, "The pretrained model (iteration \(first))") + samples(preferred, "The preferred checkpoint (iteration \(preferred))"))
    }
}
