import Foundation

/// `pipeline.lock` (or `pipeline.<profile>.lock`): per stage, the invocation that produced its
/// current artifact and the artifact's hash. JSON with sorted keys, rewritten atomically after
/// every stage that succeeds, and meant to be committed.
public struct LockFile: Sendable {
    public struct Entry: Sendable {
        public let invocation: Invocation
        public let output: String
        public let summary: JSON
    }

    public var profile: String
    public var entries: [String: Entry] = [:]

    public init(profile: String) { self.profile = profile }

    public static func load(_ url: URL, profile: String) throws -> LockFile {
        var lock = LockFile(profile: profile)
        guard let data = FileManager.default.contents(atPath: url.path) else { return lock }
        let name = url.lastPathComponent
        let json: JSON
        do {
            json = try JSON.parse(data)
        } catch let e as JSONSyntaxError {
            throw PipelineError.badInput("\(name):\(e.line):\(e.column): \(e.reason) (restore it from version control, or delete it to start afresh)")
        }
        guard let stages = json["stages"]?.objectMembers else {
            throw PipelineError.badInput("\(name): no \"stages\" object (restore it from version control, or delete it to start afresh)")
        }
        for (stage, record) in stages {
            guard let invocation = Invocation(stage: stage, record: record),
                  let output = record["output"]?.stringValue, isSHA256Hex(output) else {
                throw PipelineError.badInput("\(name): entry '\(stage)' is malformed (restore it from version control, or delete it to start afresh)")
            }
            lock.entries[stage] = Entry(invocation: invocation, output: output, summary: record["summary"] ?? .object([]))
        }
        return lock
    }

    public var json: JSON {
        .object([
            ("profile", .string(profile)),
            ("stages", .object(entries.map { ($0.key, $0.value.invocation.recordJSON(output: $0.value.output, summary: $0.value.summary)) })),
        ])
    }

    public func save(_ url: URL) throws {
        try FileSystem.writeAtomically(Data(json.pretty.utf8), to: url)
    }
}
