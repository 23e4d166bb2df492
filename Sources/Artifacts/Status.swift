import Foundation

/// Where a stage stands against the lock file, and why.
public struct StageStatus: Sendable {
    public enum State: String, Sendable {
        case upToDate = "up-to-date"
        case stale
        case neverRun = "never-run"
    }
    public let stage: String
    public let state: State
    /// Why the stage is stale, one change per line (e.g. `ppo.lr 1e-05 -> 0.0001`).
    public let reasons: [String]
    /// True when the run cache already holds the output for the new key: running costs nothing.
    public let restorable: Bool
    /// The current key, when every input is known.
    public let key: String?

    public var json: JSON {
        var m: [(String, JSON)] = [
            ("stage", .string(stage)), ("state", .string(state.rawValue)),
            ("reasons", .array(reasons.map(JSON.string))), ("restorable", .bool(restorable)),
        ]
        if let key { m.append(("key", .string(key))) }
        return .object(m)
    }
}

extension Workspace {
    /// Compares every stage's current invocation with the lock, without running or writing anything.
    public func status(_ pipeline: ResolvedPipeline) throws -> [StageStatus] {
        let lock = try loadLock(pipeline)
        let store = self.store(pipeline.config)
        let cache = hashCache
        var outputs: [String: String] = [:]   // known current outputs
        var result: [StageStatus] = []
        for stage in pipeline.stages {
            var reasons: [String] = []
            var inputs: [String: Invocation.Input] = [:]
            var complete = true
            let locked = lock.entries[stage.name]
            for input in stage.inputs {
                switch input.source {
                case .file:
                    do {
                        let sha = try hashFileInput(stage: stage.name, input: input.name, source: input.source, cache: cache)
                        inputs[input.name] = .init(source: input.source, sha256: sha)
                    } catch let e as PipelineError {
                        reasons.append(e.message)
                        complete = false
                    }
                case let .stage(dep):
                    if let o = outputs[dep] {
                        inputs[input.name] = .init(source: input.source, sha256: o)
                    } else {
                        reasons.append("input \(input.name) waits for \(dep) to run")
                        complete = false
                    }
                }
                // For the diff, pretend unknown inputs are unchanged: their own line says why.
                if inputs[input.name] == nil, let old = locked?.invocation.inputs[input.name] {
                    inputs[input.name] = old
                }
            }
            let invocation = Invocation(stage: stage.name, uses: stage.stage.name, version: stage.stage.version,
                                        params: stage.params.json, inputs: inputs, seed: stage.seed)
            let key = complete ? invocation.key : nil
            guard let locked else {
                let record = key.flatMap { runs.load($0) }
                let restorable = record.map { store.contains($0.output) } ?? false
                if restorable { outputs[stage.name] = record!.output }
                result.append(StageStatus(stage: stage.name, state: .neverRun, reasons: reasons, restorable: restorable, key: key))
                continue
            }
            if let key, locked.invocation.key == key {
                if store.contains(locked.output) {
                    outputs[stage.name] = locked.output
                    result.append(StageStatus(stage: stage.name, state: .upToDate, reasons: [], restorable: false, key: key))
                } else {
                    result.append(StageStatus(stage: stage.name, state: .stale, reasons: ["its output \(locked.output.prefix(12)) is missing from the store"], restorable: false, key: key))
                }
                continue
            }
            reasons = invocation.differences(from: locked.invocation) + reasons
            var restorable = false
            if let key, let record = runs.load(key), store.contains(record.output) {
                restorable = true
                outputs[stage.name] = record.output
            }
            result.append(StageStatus(stage: stage.name, state: .stale, reasons: reasons, restorable: restorable, key: key))
        }
        cache.save()
        return result
    }
}
