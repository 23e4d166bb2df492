import Foundation

/// A step of the pipeline: a pure function of its params, its inputs and (when `usesSeed`) the
/// pipeline seed. Everything it writes goes to `context.outputDirectory`; checkpoints go to
/// `context.workDirectory`. Implementations live in the Stages target (and in tests).
public protocol Stage: Sendable {
    /// The name pipeline.json refers to (`"uses"`, or the stage entry's own name).
    var name: String { get }
    /// Bump when the output for the same params and inputs changes; it is part of every key.
    var version: Int { get }
    /// One line for `pipeline dag` and error messages.
    var summary: String { get }
    var params: [ParamSpec] { get }
    var inputs: [InputSpec] { get }
    /// Whether the stage draws random numbers; if so the pipeline seed is part of its key.
    var usesSeed: Bool { get }
    func run(_ context: StageContext) throws
}

/// What a stage consumes: a file outside the store, or another stage's artifact.
public struct InputSpec: Sendable {
    public enum Kind: String, Sendable { case file, stage }
    public let name: String
    public let kind: Kind
    public let help: String

    public init(_ name: String, _ kind: Kind, help: String = "") {
        self.name = name
        self.kind = kind
        self.help = help
    }
}

/// The stages a pipeline can use, by name.
public struct StageRegistry: Sendable {
    public private(set) var stages: [String: any Stage] = [:]

    public init(_ stages: [any Stage] = []) {
        for stage in stages { register(stage) }
    }

    public mutating func register(_ stage: any Stage) {
        precondition(stages[stage.name] == nil, "stage \(stage.name) registered twice")
        stages[stage.name] = stage
    }

    public subscript(name: String) -> (any Stage)? { stages[name] }
    public var names: [String] { stages.keys.sorted(by: utf8Less) }
}
