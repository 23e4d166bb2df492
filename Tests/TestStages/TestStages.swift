import Artifacts
import Foundation

/// Small stages over text files, for exercising the runner, the store and the CLI without the
/// real (slow) stages. `registry(versions:)` lets a test bump a stage's version.
public enum TestStages {
    public static func registry(versions: [String: Int] = [:]) -> StageRegistry {
        StageRegistry([
            Source(version: versions["source"] ?? 1),
            Transform(version: versions["transform"] ?? 1),
            Concat(version: versions["concat"] ?? 1),
            Shuffle(version: versions["shuffle"] ?? 1),
            Sleeper(version: versions["sleeper"] ?? 1),
            Noisy(version: versions["noisy"] ?? 1),
        ])
    }
}

func readText(_ url: URL) throws -> String {
    try String(contentsOf: url, encoding: .utf8)
}

func writeText(_ text: String, _ url: URL) throws {
    try Data(text.utf8).write(to: url)
}

/// Reads a text file input, repeats it, and prefixes it.
struct Source: Stage {
    let name = "source"
    let version: Int
    let summary = "reads a text file"
    let params = [ParamSpec("repeat", .int, default: .int(1), help: "copies of the text"),
                  ParamSpec("prefix", .string, default: .string(""))]
    let inputs = [InputSpec("text", .file)]
    let usesSeed = false

    func run(_ context: StageContext) throws {
        let text = try readText(context.input("text"))
        let out = context.params.string("prefix") + String(repeating: text, count: context.params.int("repeat"))
        try writeText(out, context.outputDirectory.appendingPathComponent("text.txt"))
        context.setSummary("characters", .int(Int64(out.count)))
        context.log("wrote \(out.count) characters")
    }
}

/// Upper-cases, lower-cases or reverses its input's text.
struct Transform: Stage {
    let name = "transform"
    let version: Int
    let summary = "transforms text"
    let params = [ParamSpec("mode", .choice(["upper", "lower", "reverse"]), default: .string("upper")),
                  ParamSpec("suffix", .string, default: .string("")),
                  ParamSpec("scale", .number, default: .double(1)),
                  ParamSpec("fail", .bool, default: .bool(false), help: "throw instead of writing")]
    let inputs = [InputSpec("text", .stage)]
    let usesSeed = false

    func run(_ context: StageContext) throws {
        if context.params.bool("fail") { throw PipelineError.failed("transform was asked to fail") }
        let text = try readText(context.input("text").appendingPathComponent("text.txt"))
        var out: String
        switch context.params.string("mode") {
        case "upper": out = text.uppercased()
        case "lower": out = text.lowercased()
        default: out = String(text.reversed())
        }
        out += context.params.string("suffix")
        try FileSystem.makeDirectory(context.outputDirectory.appendingPathComponent("nested"))
        try writeText(out, context.outputDirectory.appendingPathComponent("text.txt"))
        try writeText("scale \(context.params.double("scale"))\n", context.outputDirectory.appendingPathComponent("nested/meta.txt"))
    }
}

/// Joins two texts.
struct Concat: Stage {
    let name = "concat"
    let version: Int
    let summary = "joins two texts"
    let params: [ParamSpec] = []
    let inputs = [InputSpec("a", .stage), InputSpec("b", .stage)]
    let usesSeed = false

    func run(_ context: StageContext) throws {
        let a = try readText(context.input("a").appendingPathComponent("text.txt"))
        let b = try readText(context.input("b").appendingPathComponent("text.txt"))
        try writeText(a + b, context.outputDirectory.appendingPathComponent("text.txt"))
    }
}

/// Shuffles the lines of its input with the stage's seed.
struct Shuffle: Stage {
    let name = "shuffle"
    let version: Int
    let summary = "shuffles lines with the seed"
    let params: [ParamSpec] = []
    let inputs = [InputSpec("text", .stage)]
    let usesSeed = true

    func run(_ context: StageContext) throws {
        var lines = try readText(context.input("text").appendingPathComponent("text.txt")).split(separator: "\n").map(String.init)
        var state = context.seed
        func next() -> UInt64 {   // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        if lines.count > 1 {
            for i in stride(from: lines.count - 1, to: 0, by: -1) {
                lines.swapAt(i, Int(next() % UInt64(i + 1)))
            }
        }
        try writeText(lines.joined(separator: "\n"), context.outputDirectory.appendingPathComponent("text.txt"))
    }
}

/// Copies its input after marking that it started and, optionally, waiting for a file to appear
/// or sleeping: lets tests kill a run mid-stage or overlap two runs.
struct Sleeper: Stage {
    let name = "sleeper"
    let version: Int
    let summary = "copies text slowly"
    let params = [ParamSpec("seconds", .number, default: .double(0)),
                  ParamSpec("wait_for", .string, default: .string(""), help: "a file to wait for"),
                  ParamSpec("touch", .string, default: .string(""), help: "a file to create on starting")]
    let inputs = [InputSpec("text", .stage)]
    let usesSeed = false

    func run(_ context: StageContext) throws {
        let text = try readText(context.input("text").appendingPathComponent("text.txt"))
        try writeText(text, context.outputDirectory.appendingPathComponent("partial.txt"))
        try writeText("started\n", context.workDirectory.appendingPathComponent("started"))
        let touch = context.params.string("touch")
        if !touch.isEmpty { FileManager.default.createFile(atPath: touch, contents: nil) }
        let waitFor = context.params.string("wait_for")
        while !waitFor.isEmpty && !FileManager.default.fileExists(atPath: waitFor) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        Thread.sleep(forTimeInterval: context.params.double("seconds"))
        try FileManager.default.moveItem(at: context.outputDirectory.appendingPathComponent("partial.txt"),
                                         to: context.outputDirectory.appendingPathComponent("text.txt"))
    }
}

/// Writes random bytes: a deliberately non-deterministic stage, for `verify` to catch.
struct Noisy: Stage {
    let name = "noisy"
    let version: Int
    let summary = "writes random bytes (not reproducible)"
    let params: [ParamSpec] = []
    let inputs: [InputSpec] = []
    let usesSeed = false

    func run(_ context: StageContext) throws {
        try writeText("fixed\n", context.outputDirectory.appendingPathComponent("stable.txt"))
        try writeText("\(UUID().uuidString)\n", context.outputDirectory.appendingPathComponent("random.txt"))
    }
}
