import Artifacts
import Foundation

/// A throwaway workspace in the temp folder with a pipeline.json over the test stages and an
/// input file `in.txt`; removed when the value is released.
public final class ScratchWorkspace {
    public let root: URL
    public private(set) var registry: StageRegistry

    /// The default test pipeline: src -> up, low -> both -> mix (mix uses the seed).
    public static let standardConfig = """
    {
      "seed": 7,
      "stages": {
        "src": {"uses": "source", "inputs": {"text": {"file": "in.txt", "fetch": "make corpus"}}, "params": {"repeat": 2}},
        "up": {"uses": "transform", "inputs": {"text": {"stage": "src"}}},
        "low": {"uses": "transform", "inputs": {"text": {"stage": "src"}}, "params": {"mode": "lower"}},
        "both": {"uses": "concat", "inputs": {"a": {"stage": "up"}, "b": {"stage": "low"}}},
        "mix": {"uses": "shuffle", "inputs": {"text": {"stage": "both"}}}
      },
      "profiles": {"tiny": {"src": {"repeat": 1}}, "paper": {}}
    }
    """

    public init(config: String = ScratchWorkspace.standardConfig, input: String = "alpha\nBeta\ngamma\n",
                registry: StageRegistry = TestStages.registry()) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("pipeline-test-\(UUID().uuidString)", isDirectory: true)
        self.registry = registry
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try write("pipeline.json", config)
        try write("in.txt", input)
    }

    /// A workspace holding `config` and the given files (no `in.txt`).
    public init(config: String, files: [String: String], registry: StageRegistry) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("pipeline-test-\(UUID().uuidString)", isDirectory: true)
        self.registry = registry
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try write("pipeline.json", config)
        for (name, text) in files { try write(name, text) }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    public var workspace: Workspace { Workspace(root: root, registry: registry) }

    public func useRegistry(_ registry: StageRegistry) { self.registry = registry }

    public func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    public func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: url(path))
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOf: url(path), encoding: .utf8)
    }

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: url(path).path) }

    /// Runs the pipeline in-process; returns each stage's report, in pipeline order.
    public func reports(_ targets: [String] = [], profile: String = "default", set overrides: [String] = [],
                        force: Set<String> = [], jobs: Int = 1) throws -> [StageReport] {
        let pipeline = try workspace.resolve(profile: profile, overrides: overrides)
        let runner = try Runner(workspace: workspace, pipeline: pipeline) { _ in }
        return try runner.run(targets: targets, force: force, jobs: jobs)
    }

    /// Runs the pipeline in-process; returns each stage's outcome by name.
    @discardableResult
    public func run(_ targets: [String] = [], profile: String = "default", set overrides: [String] = [],
                    force: Set<String> = [], jobs: Int = 1) throws -> [String: StageOutcome] {
        let reports = try reports(targets, profile: profile, set: overrides, force: force, jobs: jobs)
        return Dictionary(uniqueKeysWithValues: reports.map { ($0.stage, $0.outcome) })
    }

    /// Extracts the artifact the lock records for `stage` into a new folder and returns it.
    public func artifact(_ stage: String, profile: String = "default") throws -> URL {
        let pipeline = try workspace.resolve(profile: profile)
        guard let entry = try workspace.loadLock(pipeline).entries[stage] else {
            throw PipelineError.failed("\(stage) has no artifact in the lock")
        }
        let dir = root.appendingPathComponent("out-\(stage)-\(UUID().uuidString)")
        try workspace.store(pipeline.config).extract(entry.output, to: dir)
        return dir
    }

    /// The output hash the lock records for `stage`.
    public func output(_ stage: String, profile: String = "default") throws -> String? {
        let pipeline = try workspace.resolve(profile: profile)
        return try workspace.loadLock(pipeline).entries[stage]?.output
    }
}

/// Runs a binary to completion and captures its output.
public struct ProcessResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public func runProcess(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
    let process = try startProcess(executable, arguments, in: directory)
    process.process.waitUntilExit()
    return process.result()
}

/// A started child process whose output goes to temp files (so it can never block on a full pipe).
public final class RunningProcess {
    public let process: Process
    let outURL: URL, errURL: URL

    init(process: Process, outURL: URL, errURL: URL) {
        self.process = process
        self.outURL = outURL
        self.errURL = errURL
    }

    deinit {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    /// Waits for the process and returns its status and output.
    public func result() -> ProcessResult {
        process.waitUntilExit()
        let out = (try? Data(contentsOf: outURL)) ?? Data(), err = (try? Data(contentsOf: errURL)) ?? Data()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self))
    }
}

public func startProcess(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> RunningProcess {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let tmp = FileManager.default.temporaryDirectory
    let outURL = tmp.appendingPathComponent("proc-\(UUID().uuidString).out"), errURL = tmp.appendingPathComponent("proc-\(UUID().uuidString).err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return RunningProcess(process: process, outURL: outURL, errURL: errURL)
}
