import Foundation

/// The run cache: `runs/<key>.json` maps a stage key to the output it produced, with the
/// invocation, timings and host facts (which never enter an artifact) and `runs/<key>.log`.
public struct RunRecords: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public func recordURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).json") }
    public func logURL(_ key: String) -> URL { directory.appendingPathComponent("\(key).log") }

    public struct Record: Sendable {
        public let invocation: Invocation
        public let output: String
        public let summary: JSON
        public let json: JSON
    }

    public func load(_ key: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: recordURL(key).path),
              let json = try? JSON.parse(data), let stage = json["stage"]?.stringValue,
              let invocation = Invocation(stage: stage, record: json), invocation.key == key,
              let output = json["output"]?.stringValue, isSHA256Hex(output) else { return nil }
        return Record(invocation: invocation, output: output, summary: json["summary"] ?? .object([]), json: json)
    }

    /// Writes the record atomically; `extra` holds timings and host facts.
    public func save(_ invocation: Invocation, output: String, summary: JSON, extra: [(String, JSON)]) throws {
        var record = invocation.recordJSON(output: output, summary: summary)
        record = record.setting("stage", to: .string(invocation.stage))
        for (k, v) in extra { record = record.setting(k, to: v) }
        try FileSystem.writeAtomically(Data(record.pretty.utf8), to: recordURL(invocation.key))
    }

    public func allKeys() -> [String] {
        FileSystem.children(of: directory).compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            let key = String(name.dropLast(5))
            return isSHA256Hex(key) ? key : nil
        }
    }
}
