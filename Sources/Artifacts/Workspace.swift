import Foundation

/// A folder holding pipeline.json, its lock files and the `artifacts/` store, plus the stages
/// the pipeline may use. Every command starts here.
public struct Workspace: Sendable {
    public let root: URL
    public let registry: StageRegistry

    public init(root: URL, registry: StageRegistry) {
        self.root = root.standardizedFileURL
        self.registry = registry
    }

    public var configURL: URL { root.appendingPathComponent("pipeline.json") }
    public var storeRoot: URL { root.appendingPathComponent("artifacts") }
    public var runs: RunRecords { RunRecords(directory: storeRoot.appendingPathComponent("runs")) }
    public var workRoot: URL { storeRoot.appendingPathComponent("work") }
    public var tmpRoot: URL { storeRoot.appendingPathComponent("tmp") }
    public var hashCache: FileHashCache { FileHashCache(url: storeRoot.appendingPathComponent("cache/file-hashes.json")) }

    public func store(_ config: PipelineConfig) -> ObjectStore {
        ObjectStore(root: storeRoot, compression: config.compression)
    }

    public func loadConfig() throws -> PipelineConfig {
        try PipelineConfig.load(configURL)
    }

    /// pipeline.json resolved for a profile, with `--set` overrides.
    public func resolve(profile: String = "default", overrides: [String] = []) throws -> ResolvedPipeline {
        let parsed = try overrides.map(ResolvedPipeline.Override.init(parsing:))
        let config = try loadConfig()
        let resolved = try ResolvedPipeline(config: config, registry: registry, profile: profile, overrides: parsed)
        // A mistake in another profile is reported now, not when someone finally runs it.
        for other in config.profileNames where other != profile {
            _ = try ResolvedPipeline(config: config, registry: registry, profile: other)
        }
        return resolved
    }

    public func lockURL(_ pipeline: ResolvedPipeline) -> URL { root.appendingPathComponent(pipeline.lockFileName) }

    public func loadLock(_ pipeline: ResolvedPipeline) throws -> LockFile {
        try LockFile.load(lockURL(pipeline), profile: pipeline.profile)
    }

    /// Every lock file in the workspace (one per profile that has run).
    public func allLockFiles() -> [URL] {
        FileSystem.children(of: root)
            .filter { $0 == "pipeline.lock" || ($0.hasPrefix("pipeline.") && $0.hasSuffix(".lock")) }
            .map { root.appendingPathComponent($0) }
    }

    /// The exclusive lock that every writer of the store holds.
    public func lockExclusively(onWait: (String) -> Void) throws -> WorkspaceLock {
        try WorkspaceLock(storeRoot.appendingPathComponent(".lock"), onWait: onWait)
    }

    public func resolvePath(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    /// The SHA-256 of a file input, checked against its pin; a missing file says how to fetch it.
    func hashFileInput(stage: String, input: String, source: InputSource, cache: FileHashCache) throws -> String {
        guard case let .file(path, pin, fetch) = source else { preconditionFailure() }
        let url = resolvePath(path)
        let how = fetch.map { "; fetch it with `\($0)`" } ?? ""
        guard FileSystem.exists(url), !FileSystem.isDirectory(url) else {
            throw PipelineError.badInput("stage '\(stage)' input '\(input)': file \(path) not found\(how)")
        }
        let sha = try cache.hash(of: url)
        if let pin, pin != sha {
            let again = fetch.map { "delete it and fetch it again with `\($0)`" } ?? "replace it with the pinned file"
            throw PipelineError.badInput("stage '\(stage)' input '\(input)': \(path) has SHA-256 \(sha) but pipeline.json pins \(pin); \(again)")
        }
        return sha
    }
}
