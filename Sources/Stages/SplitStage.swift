import Artifacts
import Foundation

/// split: the token stream as training and validation sequences. Train is the first
/// `1 - valid_fraction` of the stream, valid the rest; each is cut into non-overlapping sequences
/// of `context + 1` ids (inputs and next-token targets), since overlapping windows overfit.
/// Output: `train.bin`, `valid.bin` (UInt32 LE, row-major (count, context + 1)), `split.json`.
public struct SplitStage: Stage {
    public let name = "split"
    public let version = 1
    public let summary = "cuts the token stream into non-overlapping training and validation sequences"
    public let params = [
        ParamSpec("valid_fraction", .number, default: .double(0.1), help: "share of the stream held out, taken from the end"),
        ParamSpec("context", .int, default: .int(128), help: "tokens a model sees; sequences hold context + 1 ids"),
    ]
    public let inputs = [InputSpec("tokens", .stage, help: "the tokenize stage")]
    public let usesSeed = false

    public init() {}

    public func run(_ context: StageContext) throws {
        let validFraction = context.params.double("valid_fraction"), ctx = context.params.int("context")
        guard (0..<1).contains(validFraction) else { throw PipelineError.badInput("split.valid_fraction must be in [0, 1), got \(validFraction)") }
        guard ctx >= 1 else { throw PipelineError.badInput("split.context must be at least 1, got \(ctx)") }
        let ids = try TokenFile.read(context.input("tokens").appendingPathComponent("tokens.bin"))
        let trainCount = Int((1 - validFraction) * Double(ids.count))
        let width = ctx + 1
        func sequences(_ part: ArraySlice<UInt32>) -> [UInt32] { Array(part.prefix(part.count / width * width)) }
        let train = sequences(ids[..<trainCount]), valid = sequences(ids[trainCount...])
        guard !train.isEmpty else {
            throw PipelineError.badInput("split: the training part (\(trainCount) tokens) is shorter than one sequence of \(width)")
        }
        let out = context.outputDirectory
        try TokenFile.write(train, to: out.appendingPathComponent("train.bin"))
        try TokenFile.write(valid, to: out.appendingPathComponent("valid.bin"))
        let info = JSON.object([
            ("context", .int(Int64(ctx))),
            ("train_sequences", .int(Int64(train.count / width))), ("valid_sequences", .int(Int64(valid.count / width))),
            ("train_shape", .array([.int(Int64(train.count / width)), .int(Int64(width))])),
            ("valid_shape", .array([.int(Int64(valid.count / width)), .int(Int64(width))])),
            ("train_tokens_dropped", .int(Int64(trainCount - train.count))),
            ("valid_tokens_dropped", .int(Int64(ids.count - trainCount - valid.count))),
        ])
        try Data(info.pretty.utf8).write(to: out.appendingPathComponent("split.json"))
        context.setSummary("train_sequences", .int(Int64(train.count / width)))
        context.setSummary("valid_sequences", .int(Int64(valid.count / width)))
    }
}
