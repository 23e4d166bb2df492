import Foundation

/// The outcome of recomputing one locked stage from its recorded inputs.
public struct VerifyResult: Sendable {
    public let stage: String
    public let expected: String
    public let actual: String
    /// Files whose content differs, or that exist on one side only.
    public let differingFiles: [String]
    public var reproduced: Bool { expected == actual }
}

extension Workspace {
    /// Recomputes the named locked stages (all when empty) from the inputs the lock records, in a
    /// scratch store with no cache and no checkpoints, and compares output hashes with the lock.
    public func verify(_ pipeline: ResolvedPipeline, stages names: [String],
                       onStart: (String) -> Void = { _ in }) throws -> [VerifyResult] {
        let lock = try loadLock(pipeline)
        guard !lock.entries.isEmpty else {
            throw PipelineError.badInput("\(pipeline.lockFileName) has no stages to verify: run `pipeline run` first")
        }
        let targets = names.isEmpty ? pipeline.names.filter { lock.entries[$0] != nil } : names
        for name in targets where lock.entries[name] == nil {
            let known = lock.entries.keys.sorted(by: utf8Less)
            throw PipelineError.badInput("stage '\(name)' is not in \(pipeline.lockFileName)\(didYouMean(name, in: known)); locked stages: \(known.joined(separator: ", "))")
        }
        // Check everything needed is at hand before computing anything.
        let cache = hashCache
        var plans: [(ResolvedStage, Invocation, String)] = []
        for name in targets {
            let entry = lock.entries[name]!
            let recorded = entry.invocation
            guard let stage = registry[recorded.uses] else {
                throw PipelineError.badInput("stage '\(name)' uses '\(recorded.uses)', which this build of pipeline does not have")
            }
            guard stage.version == recorded.version else {
                throw PipelineError.badInput("stage '\(name)' is at version \(stage.version) but the lock recorded version \(recorded.version): `pipeline run \(name)` first")
            }
            var sources: [(name: String, source: InputSource)] = []
            for (inputName, input) in recorded.inputs.sorted(by: { utf8Less($0.key, $1.key) }) {
                sources.append((inputName, input.source))
                switch input.source {
                case let .file(path, _, _):
                    let now = try hashFileInput(stage: name, input: inputName, source: input.source, cache: cache)
                    guard now == input.sha256 else {
                        throw PipelineError.badInput("stage '\(name)' input '\(inputName)': \(path) changed since \(pipeline.lockFileName) was written (recorded \(input.sha256.prefix(12)), now \(now.prefix(12))): `pipeline run` first")
                    }
                case .stage:
                    guard store(pipeline.config).contains(input.sha256) else {
                        throw PipelineError.failed("stage '\(name)': its recorded input \(inputName) (\(input.sha256.prefix(12))) is not in the store; `pipeline run` or `pipeline import` it first")
                    }
                }
            }
            let params = StageParams(Dictionary(recorded.params.objectMembers!, uniquingKeysWith: { $1 }))
            let resolved = ResolvedStage(name: name, stage: stage, params: params, inputs: sources, seed: recorded.seed)
            plans.append((resolved, recorded, entry.output))
        }

        let scratch = try FileSystem.makeTemporaryDirectory(prefix: "pipeline-verify")
        defer { FileSystem.remove(scratch) }
        let scratchStore = ObjectStore(root: scratch.appendingPathComponent("store"), compression: .zstd)
        let runner = try Runner(workspace: self, pipeline: pipeline, report: { _ in })
        var results: [VerifyResult] = []
        for (n, (stage, invocation, expected)) in plans.enumerated() {
            onStart(stage.name)
            let dir = scratch.appendingPathComponent("\(n)")
            let actual: String
            do {
                actual = try runner.runStage(stage, invocation, in: dir, workDirectory: dir.appendingPathComponent("work"),
                                             logFile: nil, into: scratchStore, progress: { _ in }).hash
            } catch {
                throw PipelineError.failed("stage '\(stage.name)' failed while being recomputed: \((error as? PipelineError)?.message ?? error.localizedDescription)")
            }
            var differing: [String] = []
            if actual != expected {
                differing = try differences(store(pipeline.config), expected, scratchStore, actual, scratch: dir)
            }
            results.append(VerifyResult(stage: stage.name, expected: expected, actual: actual, differingFiles: differing))
        }
        return results
    }

    private func differences(_ a: ObjectStore, _ aHash: String, _ b: ObjectStore, _ bHash: String, scratch: URL) throws -> [String] {
        let left = scratch.appendingPathComponent("expected"), right = scratch.appendingPathComponent("actual")
        if a.contains(aHash) { try a.extract(aHash, to: left) } else { try FileSystem.makeDirectory(left) }
        try b.extract(bHash, to: right)
        func fileHashes(_ root: URL) throws -> [String: String] {
            var result: [String: String] = [:]
            for entry in try CanonicalTar.entries(of: root) where !entry.isDirectory {
                result[entry.path] = try SHA256Hasher.hex(fileAt: root.appendingPathComponent(entry.path))
            }
            return result
        }
        let l = try fileHashes(left), r = try fileHashes(right)
        return Set(l.keys).union(r.keys).sorted(by: utf8Less).filter { l[$0] != r[$0] }
    }
}
