import Artifacts
import Foundation

/// A trained model from the lock, for the commands that use one (`sample`, `score`): the stage's
/// artifact and the tokenize artifact it was trained on, extracted (verified) to a scratch folder
/// that `close()` removes.
public struct LockedModel {
    /// The stage's artifact folder.
    public let folder: URL
    /// The tokenize artifact upstream of it: `vocab.json`, `stats.json`, `corpus.txt`, `works.json`.
    public let tokens: URL
    public let vocabulary: Vocabulary
    let normalizes: Bool
    let scratch: URL

    public init(workspace: Workspace, pipeline: ResolvedPipeline, stage: String) throws {
        let lock = try workspace.loadLock(pipeline)
        let profileFlag = pipeline.profile == "default" ? "" : " --profile \(pipeline.profile)"
        guard let entry = lock.entries[stage] else {
            throw PipelineError.badInput("stage '\(stage)' has not run: `pipeline run \(stage)\(profileFlag)` first")
        }
        guard let tokensHash = LockedModel.upstreamTokenize(of: entry, in: lock) else {
            throw PipelineError.badInput("stage '\(stage)' has no tokenize stage upstream in the lock: `pipeline run \(stage)\(profileFlag)` first")
        }
        let store = workspace.store(pipeline.config)
        scratch = try FileSystem.makeTemporaryDirectory(prefix: "pipeline-model")
        folder = scratch.appendingPathComponent("model")
        tokens = scratch.appendingPathComponent("tokens")
        do {
            try store.extract(entry.output, to: folder)
            try store.extract(tokensHash, to: tokens)
            vocabulary = try Vocabulary.read(from: tokens.appendingPathComponent("vocab.json"))
            let stats = try JSON.parse(Data(contentsOf: tokens.appendingPathComponent("stats.json")))
            normalizes = stats["normalized"]?.boolValue ?? true
        } catch {
            FileSystem.remove(scratch)
            throw error
        }
    }

    /// The hash of the tokenize artifact the stage was trained from: followed through the inputs
    /// each stage actually read, so a tokenize re-run after it does not count.
    static func upstreamTokenize(of entry: LockFile.Entry, in lock: LockFile) -> String? {
        if entry.invocation.uses == "tokenize" { return entry.output }
        for (_, input) in entry.invocation.inputs.sorted(by: { $0.key < $1.key }) {
            guard case let .stage(name) = input.source, let upstream = lock.entries[name], upstream.output == input.sha256 else { continue }
            if let found = upstreamTokenize(of: upstream, in: lock) { return found }
        }
        return nil
    }

    /// Text as the model reads it: normalised like the corpus (when it was), then token ids.
    public func encode(_ text: String) -> [Int32] {
        vocabulary.encode(prepare(text)).map { Int32($0) }
    }

    /// Text normalised like the corpus, when it was.
    public func prepare(_ text: String) -> String { normalizes ? TextNormalizer.normalize(text) : text }

    public func close() { FileSystem.remove(scratch) }
}
