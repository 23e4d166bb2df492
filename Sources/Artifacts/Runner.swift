import Foundation

/// How a stage fared in a run.
public enum StageOutcome: Equatable, Sendable {
    case ran
    /// Restored from the run cache: the same key ran before.
    case cached
    case upToDate
    case failed(String)
    /// Not attempted because an input stage failed.
    case skipped(String)
}

public struct StageReport: Sendable {
    public let stage: String
    public let outcome: StageOutcome
    public let seconds: Double
    public let output: String?
    /// The stage's log, for stages that ran (or failed).
    public var log: URL? = nil
    /// For a stage restored from the run cache: the archive its record came from, if imported.
    public var importedFrom: String? = nil
}

public enum RunEvent: Sendable {
    case waiting(String)
    case started(String)
    case progress(stage: String, message: String)
    case warning(String)
    case finished(StageReport)
}

/// Runs stages in dependency order, skipping those whose key is unchanged, restoring those the run
/// cache knows, and running the rest (up to `jobs` at a time). Holds the workspace lock throughout.
public final class Runner: @unchecked Sendable {
    public let workspace: Workspace
    public let pipeline: ResolvedPipeline
    private let report: @Sendable (RunEvent) -> Void
    private let store: ObjectStore
    private let mutex = NSLock()
    private var lock: LockFile
    private var lockError: Error?

    public init(workspace: Workspace, pipeline: ResolvedPipeline, report: @escaping @Sendable (RunEvent) -> Void) throws {
        self.workspace = workspace
        self.pipeline = pipeline
        self.report = report
        self.store = workspace.store(pipeline.config)
        self.lock = try workspace.loadLock(pipeline)
    }

    /// Runs `targets` (all stages when empty) and what they need. Returns one report per stage;
    /// throws only for bad input found before anything ran.
    public func run(targets: [String] = [], force: Set<String> = [], jobs: Int = 1) throws -> [StageReport] {
        let stages = targets.isEmpty ? pipeline.stages : try pipeline.closure(of: targets)
        for name in force where !stages.contains(where: { $0.name == name }) {
            let why = pipeline[name] == nil ? "unknown stage\(didYouMean(name, in: pipeline.names))"
                : "not among the stages this run covers; name it (or a stage that reads it) too"
            throw PipelineError.badInput("--force \(name): \(why)")
        }
        // Every file input must be present (and match its pin) before anything is touched.
        let cache = workspace.hashCache
        _ = try hashFileInputs(stages, cache: cache)

        let held = try workspace.lockExclusively { [report] in report(.waiting($0)) }
        defer { withExtendedLifetime(held) {} }
        // Another run may have finished, or a file changed, while we waited: look again.
        let fileHashes = try hashFileInputs(stages, cache: cache)
        cache.save()
        lock = try workspace.loadLock(pipeline)
        FileSystem.remove(workspace.tmpRoot)   // leftovers of killed runs; we hold the lock

        // Scheduling state, shared with the worker threads under `state.condition`.
        let state = Schedule()
        let maxJobs = max(1, jobs)
        state.condition.lock()
        while state.reports.count < stages.count {
            var progressed = false
            for stage in stages where state.reports[stage.name] == nil && !state.running.contains(stage.name) {
                if let failedDep = stage.dependencies.first(where: { state.reports[$0].map { $0.output == nil } ?? false }) {
                    // Name the stage that actually failed, not the one skipped because of it.
                    var why = "input stage \(failedDep) failed"
                    if case let .skipped(upstream)? = state.reports[failedDep]?.outcome { why = upstream }
                    let r = StageReport(stage: stage.name, outcome: .skipped(why), seconds: 0, output: nil)
                    state.reports[stage.name] = r
                    report(.finished(r))
                    progressed = true
                    continue
                }
                guard stage.dependencies.allSatisfy({ state.outputs[$0] != nil }), state.running.count < maxJobs else { continue }
                let invocation = makeInvocation(stage, fileHashes: fileHashes[stage.name] ?? [:], outputs: state.outputs)
                let forced = force.contains(stage.name)
                if let quick = reuse(stage, invocation, forced: forced) {
                    state.reports[stage.name] = quick
                    state.outputs[stage.name] = quick.output
                    report(.finished(quick))
                    progressed = true
                    continue
                }
                state.running.insert(stage.name)
                progressed = true
                let thread = Thread { [self] in
                    let r = self.execute(stage, invocation, forced: forced)
                    state.condition.lock()
                    state.running.remove(stage.name)
                    state.reports[stage.name] = r
                    if let o = r.output { state.outputs[stage.name] = o }
                    // Report before the scheduler can see the stage finished, so lines keep order.
                    self.report(.finished(r))
                    state.condition.signal()
                    state.condition.unlock()
                }
                thread.stackSize = 64 << 20
                thread.start()
            }
            if state.reports.count == stages.count { break }
            precondition(progressed || !state.running.isEmpty, "scheduler stalled")
            if !state.running.isEmpty { state.condition.wait() }
        }
        state.condition.unlock()

        mutex.lock()
        defer { mutex.unlock() }
        // Forget stages that pipeline.json no longer declares.
        let gone = lock.entries.keys.filter { pipeline[$0] == nil }
        for name in gone { lock.entries[name] = nil }
        if !gone.isEmpty || !FileSystem.exists(workspace.lockURL(pipeline)) { saveLock() }
        if let lockError {
            throw PipelineError.failed("cannot write \(pipeline.lockFileName): \(lockError)")
        }
        return stages.map { state.reports[$0.name]! }
    }

    /// Stage -> input -> SHA-256 of every file input of `stages`.
    private func hashFileInputs(_ stages: [ResolvedStage], cache: FileHashCache) throws -> [String: [String: String]] {
        var hashes: [String: [String: String]] = [:]
        for stage in stages {
            for input in stage.inputs {
                if case .file = input.source {
                    hashes[stage.name, default: [:]][input.name] = try workspace.hashFileInput(
                        stage: stage.name, input: input.name, source: input.source, cache: cache)
                }
            }
        }
        return hashes
    }

    /// Saves the lock file; the first failure is kept and reported when the run ends.
    private func saveLock() {
        do { try lock.save(workspace.lockURL(pipeline)) } catch { if lockError == nil { lockError = error } }
    }

    func makeInvocation(_ stage: ResolvedStage, fileHashes: [String: String], outputs: [String: String]) -> Invocation {
        var inputs: [String: Invocation.Input] = [:]
        for input in stage.inputs {
            switch input.source {
            case let .file(path, _, _):
                // The lock records where a file came from and its hash; pins and fetch hints stay in pipeline.json.
                inputs[input.name] = .init(source: .file(path: path, sha256: nil, fetch: nil), sha256: fileHashes[input.name]!)
            case let .stage(dep): inputs[input.name] = .init(source: input.source, sha256: outputs[dep]!)
            }
        }
        return Invocation(stage: stage.name, uses: stage.stage.name, version: stage.stage.version,
                          params: stage.params.json, inputs: inputs, seed: stage.seed)
    }

    /// Up to date (the lock already points at this key's output) or restorable from the run cache.
    private func reuse(_ stage: ResolvedStage, _ invocation: Invocation, forced: Bool) -> StageReport? {
        guard !forced else { return nil }
        let key = invocation.key
        let start = Date()
        mutex.lock(); defer { mutex.unlock() }
        if let entry = lock.entries[stage.name], entry.invocation.key == key, store.contains(entry.output) {
            if entry.invocation != invocation {
                // Same key, different bookkeeping (e.g. a file input moved): refresh the entry.
                lock.entries[stage.name] = .init(invocation: invocation, output: entry.output, summary: entry.summary)
                saveLock()
            }
            return StageReport(stage: stage.name, outcome: .upToDate, seconds: Date().timeIntervalSince(start), output: entry.output)
        }
        if let record = workspace.runs.load(key), store.contains(record.output) {
            lock.entries[stage.name] = .init(invocation: invocation, output: record.output, summary: record.summary)
            saveLock()
            var r = StageReport(stage: stage.name, outcome: .cached, seconds: Date().timeIntervalSince(start), output: record.output)
            r.importedFrom = record.json["imported_from"]?.stringValue
            return r
        }
        return nil
    }

    /// Runs the stage in a scratch folder, stores its output, then records it (run record, lock).
    private func execute(_ stage: ResolvedStage, _ invocation: Invocation, forced: Bool) -> StageReport {
        let key = invocation.key
        let start = Date()
        report(.started(stage.name))
        let scratch = workspace.tmpRoot.appendingPathComponent("\(key.prefix(16))-\(UUID().uuidString)")
        defer { FileSystem.remove(scratch) }
        do {
            let output = try runStage(stage, invocation, in: scratch, workDirectory: workspace.workRoot.appendingPathComponent(key),
                                      logFile: workspace.runs.logURL(key)) { [report] in
                report(.progress(stage: stage.name, message: $0))
            }
            let seconds = Date().timeIntervalSince(start)
            let cache = workspace.hashCache
            for (name, input) in invocation.inputs.sorted(by: { utf8Less($0.key, $1.key) }) {
                if case let .file(path, _, _) = input.source, try cache.hash(of: workspace.resolvePath(path)) != input.sha256 {
                    throw PipelineError.failed("input \(name) (\(path)) changed while the stage ran; run it again")
                }
            }
            if forced, let earlier = workspace.runs.load(key), earlier.output != output.hash {
                report(.warning("\(stage.name) gave a different output (\(output.hash.prefix(12))) than its earlier run of the same key (\(earlier.output.prefix(12))): the stage is not deterministic"))
            }
            try workspace.runs.save(invocation, output: output.hash, summary: output.summary, extra: [
                ("duration_seconds", .double((seconds * 1000).rounded() / 1000)),
                ("finished_at", .string(ISO8601DateFormatter().string(from: Date()))),
                ("profile", .string(pipeline.profile)),
                ("host", HostFacts.json),
            ])
            FileSystem.remove(workspace.workRoot.appendingPathComponent(key))
            mutex.lock()
            lock.entries[stage.name] = .init(invocation: invocation, output: output.hash, summary: output.summary)
            saveLock()
            mutex.unlock()
            return StageReport(stage: stage.name, outcome: .ran, seconds: seconds, output: output.hash,
                               log: workspace.runs.logURL(key))
        } catch {
            let message = (error as? PipelineError)?.message ?? error.localizedDescription
            return StageReport(stage: stage.name, outcome: .failed(message), seconds: Date().timeIntervalSince(start),
                               output: nil, log: workspace.runs.logURL(key))
        }
    }

    /// Extracts the inputs, runs the stage and stores what it wrote. Shared with `verify`.
    func runStage(_ stage: ResolvedStage, _ invocation: Invocation, in scratch: URL, workDirectory: URL,
                  logFile: URL?, into target: ObjectStore? = nil,
                  progress: @escaping (String) -> Void) throws -> (hash: String, summary: JSON) {
        let outDir = scratch.appendingPathComponent("out")
        try FileSystem.makeDirectory(outDir)
        try FileSystem.makeDirectory(workDirectory)
        if let logFile { try FileSystem.makeDirectory(logFile.deletingLastPathComponent()) }
        var inputURLs: [String: URL] = [:]
        for input in stage.inputs {
            switch input.source {
            case let .file(path, _, _):
                inputURLs[input.name] = workspace.resolvePath(path)
            case .stage:
                let dir = scratch.appendingPathComponent("inputs/\(input.name)")
                try store.extract(invocation.inputs[input.name]!.sha256, to: dir)
                inputURLs[input.name] = dir
            }
        }
        let context = StageContext(stageName: stage.name, params: stage.params, inputs: inputURLs,
                                   outputDirectory: outDir, workDirectory: workDirectory,
                                   seed: stage.seed ?? 0, logFile: logFile, onProgress: progress)
        try stage.stage.run(context)
        let hash = try (target ?? store).add(directory: outDir)
        return (hash, context.summary)
    }
}

/// What the scheduler knows: finished reports, known outputs, stages in flight.
private final class Schedule: @unchecked Sendable {
    let condition = NSCondition()
    var outputs: [String: String] = [:]
    var reports: [String: StageReport] = [:]
    var running = Set<String>()
}
