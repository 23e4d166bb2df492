import Artifacts
import Foundation

/// `pipeline report`: one self-contained HTML page for a profile's lock: the stage table, then a
/// section per stage that has run (pretraining curves and samples, the reward model's accuracy
/// and calibration, the PPO curves, the over-optimisation study and its chosen checkpoint, the
/// evaluation pack), a sweep's comparison when one is given, and samples before and after PPO.
/// Plots are inline SVG (`SVGChart`); the page loads nothing from anywhere.
public struct PipelineReport {
    let workspace: Workspace
    let pipeline: ResolvedPipeline
    let lock: LockFile
    let store: ObjectStore
    let sweep: JSON?
    /// The files the sections read, per stage, each artifact read in one pass: a ppo artifact
    /// holds hundreds of MB of checkpoints to stream past.
    let prefetched: [String: [String: Data]]

    static let sectionFiles: [String: Set<String>] = [
        "pretrain": ["metrics.jsonl", "samples.txt"],
        "reward-train": ["metrics.jsonl", "eval.json"],
        "ppo": ["metrics.jsonl", "run.json"],
        "overopt-analyze": ["analysis.json", "reward.svg", "separator.svg", "distinct2.svg", "perplexity.svg"],
        "eval-pack": ["key.json"],
    ]

    public init(workspace: Workspace, pipeline: ResolvedPipeline, sweep: JSON? = nil) throws {
        self.workspace = workspace
        self.pipeline = pipeline
        let lock = try workspace.loadLock(pipeline), store = workspace.store(pipeline.config)
        self.lock = lock
        self.store = store
        self.sweep = sweep
        prefetched = PipelineReport.sectionFiles.reduce(into: [:]) { files, stage in
            guard let entry = lock.entries[stage.key] else { return }
            files[stage.key] = try? store.readFiles(entry.output, paths: stage.value)
        }
    }

    /// A file of a locked stage's artifact; nil when the stage has not run or has no such file.
    func file(_ stage: String, _ path: String) -> Data? {
        if let data = prefetched[stage]?[path] { return data }
        guard let entry = lock.entries[stage] else { return nil }
        return try? store.readFile(entry.output, path: path)
    }

    func json(_ stage: String, _ path: String) -> JSON? { file(stage, path).flatMap { try? JSON.parse($0) } }

    func jsonLines(_ stage: String, _ path: String) -> [JSON] {
        guard let data = file(stage, path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }

    func text(_ stage: String, _ path: String) -> String? { file(stage, path).map { String(decoding: $0, as: UTF8.self) } }

    /// The summary value the lock keeps for a stage, formatted.
    func summary(_ stage: String, _ key: String) -> String? { lock.entries[stage]?.summary[key].map(ReportHTML.format) }

    public var html: String {
        var body = "<h1>RLHF on Shakespeare: \(ReportHTML.escape(pipeline.profile)) profile</h1>\n"
        body += "<p class=\"muted\">From \(ReportHTML.escape(workspace.lockURL(pipeline).lastPathComponent)) in \(ReportHTML.escape(workspace.root.path)).</p>\n"
        body += stageTable
        let sections = [pretrainSection, rewardSection, ppoSection, overoptSection, evalPackSection, sweepSection, samplesSection]
        body += sections.compactMap { $0 }.joined()
        return ReportHTML.page(title: "RLHF on Shakespeare: report (\(pipeline.profile))", body: body)
    }

    var stageTable: String {
        let states = Dictionary(uniqueKeysWithValues: ((try? workspace.status(pipeline)) ?? []).map { ($0.stage, $0) })
        var rows: [[String]] = []
        for name in pipeline.names {
            guard let entry = lock.entries[name] else {
                rows.append([name, "-", "-", "-", "-", "not run"])
                continue
            }
            let record = workspace.runs.load(entry.invocation.key)?.json
            let seconds = record?["duration_seconds"]?.doubleValue.map { formatDuration($0) } ?? "-"
            let state: String
            switch states[name]?.state {
            case .upToDate?: state = "up to date"
            case .stale?: state = "stale: " + (states[name]?.reasons.joined(separator: "; ") ?? "")
            default: state = "-"
            }
            let headline = (entry.summary.objectMembers ?? []).prefix(4).map { "\($0.0) \(ReportHTML.format($0.1))" }.joined(separator: ", ")
            rows.append([name, String(entry.invocation.key.prefix(12)), String(entry.output.prefix(12)), seconds, headline, state])
        }
        return ReportHTML.section("Stages", ReportHTML.table(header: ["stage", "key", "output", "computed in", "summary", "state"], rows: rows, code: [1, 2]))
    }
}
