import Foundation

/// What a running stage sees: its params, its inputs on disk, where to write, a seed, and a log.
public final class StageContext: @unchecked Sendable {
    public let stageName: String
    public let params: StageParams
    /// Input name -> a file (file inputs) or an extracted artifact directory (stage inputs).
    public let inputs: [String: URL]
    /// Everything written here becomes the artifact.
    public let outputDirectory: URL
    /// Survives interruptions of the same key: checkpoints go here. Never part of the artifact.
    public let workDirectory: URL
    /// Derived from (pipeline seed, stage name); 0 for stages that declare no randomness.
    public let seed: UInt64

    private let lock = NSLock()
    private var logHandle: FileHandle?
    private let onProgress: (String) -> Void
    private var summaryValues: [String: JSON] = [:]

    /// The runner makes these; a benchmark may make one to run a stage on its own.
    public init(stageName: String, params: StageParams, inputs: [String: URL], outputDirectory: URL,
         workDirectory: URL, seed: UInt64, logFile: URL?, onProgress: @escaping (String) -> Void) {
        self.stageName = stageName
        self.params = params
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.workDirectory = workDirectory
        self.seed = seed
        self.onProgress = onProgress
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            logHandle = FileHandle(forWritingAtPath: logFile.path)
        }
    }

    deinit { try? logHandle?.close() }

    public func input(_ name: String) -> URL {
        guard let url = inputs[name] else { preconditionFailure("stage \(stageName) has no input \(name)") }
        return url
    }

    /// Appends a line to the run's log (kept in the run record folder, never in the artifact).
    public func log(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        try? logHandle?.write(contentsOf: Data((message + "\n").utf8))
    }

    /// A transient progress line for the terminal; also logged.
    public func progress(_ message: String) {
        log(message)
        onProgress(message)
    }

    /// Headline metrics (deterministic values only) shown by `pipeline show` and kept in the lock.
    public func setSummary(_ key: String, _ value: JSON) {
        lock.lock(); defer { lock.unlock() }
        summaryValues[key] = value
    }

    var summary: JSON {
        lock.lock(); defer { lock.unlock() }
        return .object(summaryValues.map { ($0.key, $0.value) })
    }

    /// A seed for a named sub-stream (e.g. "dropout", "data-order") of this stage's randomness.
    public func seed(for purpose: String) -> UInt64 {
        deriveSeed(seed, purpose)
    }
}

/// First 8 bytes (big-endian) of SHA-256("<parent>/<label>"): independent seeds from one root.
public func deriveSeed(_ parent: UInt64, _ label: String) -> UInt64 {
    let hex = SHA256Hasher.hex("\(parent)/\(label)")
    return UInt64(hex.prefix(16), radix: 16)!
}
