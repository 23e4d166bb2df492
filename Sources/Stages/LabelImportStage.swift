import Artifacts
import Foundation
import NN

/// label-import: a labelled set of passages as reward-model training data.
///
/// The labels file is JSONL, two line forms mixed freely:
///   {"sample": "text...", "sentiment": "happy" | "sad" | "neutral"}
///   {"work": "hamlet_gut", "line": 1234, "lines": 4, "sentiment": "..."}   (a corpus passage, 1-based)
/// Targets are p(happy): happy 1, sad 0, neutral 0.5 (a soft label). Texts are normalised and
/// tokenised like the corpus and cut to `context` tokens (the end is dropped); padding is the
/// reward model's business, so the ids are stored as they are.
/// A seeded split, stratified by sentiment, keeps every copy of a text on one side.
/// Output: `labels.json` (per split: text, sentiment, target, ids, length, source) and `summary.json`.
public struct LabelImportStage: Stage {
    public let name = "label-import"
    public let version = 2
    public let summary = "reads labelled passages (text or corpus references) into reward-model data"
    public let params = [
        ParamSpec("context", .int, default: .int(64), help: "reward-model context: longer texts are cut to this many tokens"),
        ParamSpec("valid_fraction", .number, default: .double(0.2), help: "share of each sentiment held out for validation"),
    ]
    public let inputs = [InputSpec("labels", .file, help: "the JSONL labels file"), InputSpec("tokens", .stage, help: "the tokenize stage")]
    public let usesSeed = true

    public init() {}

    static let targets: [String: Double] = ["happy": 1, "sad": 0, "neutral": 0.5]

    struct Example {
        let text: String
        /// nil only when parsed with `sentimentRequired: false` (`pipeline score`).
        let sentiment: String?
        let source: String
        let fileLine: Int
    }

    /// Parses and resolves every line, or throws one error naming the file and line that ends with
    /// `consequence`.
    static func parse(_ data: Data, file: String, corpus: Data, works: JSON, sentimentRequired: Bool = true,
                      consequence: String = "nothing was imported") throws -> [Example] {
        guard let text = String(data: data, encoding: .utf8) else { throw PipelineError.badInput("\(file) is not UTF-8 text") }
        var examples: [Example] = []
        // A work's lines, split once: labels cite each work hundreds of times.
        var workLines: [String: [Substring]] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            func bad(_ why: String) -> PipelineError { .badInput("\(file):\(number): \(why); \(consequence)") }
            let json: JSON
            do { json = try JSON.parse(line) } catch let e as JSONSyntaxError {
                throw bad("not JSON (column \(e.column): \(e.reason))")
            }
            guard json.objectMembers != nil else { throw bad("expected a JSON object") }
            var s: String?
            if let sentiment = json["sentiment"] {
                guard let value = sentiment.stringValue, targets[value] != nil else {
                    throw bad("unknown sentiment \(sentiment.canonical); use \"happy\", \"sad\" or \"neutral\"")
                }
                s = value
            } else if sentimentRequired {
                throw bad("missing field \"sentiment\"")
            }
            if let sample = json["sample"] {
                guard let t = sample.stringValue else { throw bad("\"sample\" must be a string") }
                guard !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw bad("empty sample") }
                examples.append(Example(text: t, sentiment: s, source: "sample", fileLine: number))
            } else if let work = json["work"] {
                guard let w = work.stringValue else { throw bad("\"work\" must be a string") }
                guard let entry = works[w] else {
                    let names = works.objectMembers?.map(\.0) ?? []
                    throw bad("unknown work \"\(w)\"\(didYouMean(w, in: names))")
                }
                guard let start = json["line"]?.intValue, start >= 1 else { throw bad("missing field \"line\" (a 1-based line number)") }
                let count = json["lines"]?.intValue ?? 1
                guard count >= 1 else { throw bad("\"lines\" must be at least 1") }
                let total = entry["lines"]!.intValue!
                guard start + count - 1 <= total else {
                    throw bad("lines \(start)-\(start + count - 1) are past the end of \(w) (\(total) lines)")
                }
                let lines = workLines[w] ?? {
                    let offset = Int(entry["offset"]!.intValue!), bytes = Int(entry["bytes"]!.intValue!)
                    let workText = String(decoding: corpus[offset..<(offset + bytes)], as: UTF8.self)
                    return workText.split(separator: "\n", omittingEmptySubsequences: false)
                }()
                workLines[w] = lines
                let passage = lines[Int(start - 1)..<Int(start - 1 + count)].joined(separator: "\n")
                guard !passage.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw bad("the passage is blank") }
                examples.append(Example(text: passage, sentiment: s, source: "\(w):\(start)+\(count)", fileLine: number))
            } else {
                throw bad("missing field \"sample\" (or \"work\", \"line\", \"lines\")")
            }
        }
        guard !examples.isEmpty else { throw PipelineError.badInput("\(file) holds no labels") }
        return examples
    }

    public func run(_ context: StageContext) throws {
        let ctx = context.params.int("context"), validFraction = context.params.double("valid_fraction")
        guard ctx >= 1 else { throw PipelineError.badInput("label-import.context must be at least 1") }
        guard (0..<1).contains(validFraction) else { throw PipelineError.badInput("label-import.valid_fraction must be in [0, 1)") }
        let tokensDir = context.input("tokens")
        let vocabulary = try Vocabulary.read(from: tokensDir.appendingPathComponent("vocab.json"))
        let stats = try JSON.parse(Data(contentsOf: tokensDir.appendingPathComponent("stats.json")))
        let normalize = stats["normalized"]?.boolValue ?? true
        let works = try JSON.parse(Data(contentsOf: tokensDir.appendingPathComponent("works.json")))
        let corpus = try Data(contentsOf: tokensDir.appendingPathComponent("corpus.txt"))
        let labelsFile = context.input("labels")
        let parsed = try LabelImportStage.parse(try Data(contentsOf: labelsFile), file: labelsFile.lastPathComponent,
                                                corpus: corpus, works: works)
        let examples = parsed.map { (text: $0.text, sentiment: $0.sentiment!, source: $0.source, fileLine: $0.fileLine) }

        // Group copies of the same text; a group goes to one side as a whole.
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (i, e) in examples.enumerated() {
            let key = normalize ? TextNormalizer.normalize(e.text) : e.text
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        let duplicates = order.filter { groups[$0]!.count > 1 }
        for key in duplicates {
            context.log("duplicate text on lines \(groups[key]!.map { String(examples[$0].fileLine) }.joined(separator: ", ")) of \(labelsFile.lastPathComponent)")
        }

        // Stratified by the sentiment of each group's first copy, shuffled with the stage seed.
        var rng = Xoshiro256(seed: context.seed)
        var validKeys = Set<String>()
        for sentiment in ["happy", "neutral", "sad"] {
            var keys = order.filter { examples[groups[$0]![0]].sentiment == sentiment }
            rng.shuffle(&keys)
            let take = Int((validFraction * Double(keys.count)).rounded())
            validKeys.formUnion(keys.prefix(take))
        }

        var truncated = 0
        func record(_ i: Int) -> JSON {
            let e = examples[i]
            let text = normalize ? TextNormalizer.normalize(e.text) : e.text
            var ids = vocabulary.encode(text)
            if ids.count > ctx { ids = Array(ids.prefix(ctx)); truncated += 1 }
            return .object([
                ("text", .string(text)), ("sentiment", .string(e.sentiment)), ("target", .double(LabelImportStage.targets[e.sentiment]!)),
                ("length", .int(Int64(ids.count))), ("ids", .array(ids.map { .int(Int64($0)) })), ("source", .string(e.source)),
            ])
        }
        var train: [JSON] = [], valid: [JSON] = []
        var counts: [String: [String: Int]] = ["train": [:], "valid": [:]]
        for key in order {
            let side = validKeys.contains(key) ? "valid" : "train"
            for i in groups[key]! {
                if side == "valid" { valid.append(record(i)) } else { train.append(record(i)) }
                counts[side]![examples[i].sentiment, default: 0] += 1
            }
        }
        let out = context.outputDirectory
        let labels = JSON.object([("context", .int(Int64(ctx))), ("train", .array(train)), ("valid", .array(valid))])
        try Data(labels.pretty.utf8).write(to: out.appendingPathComponent("labels.json"))
        func countsJSON(_ side: String) -> JSON {
            .object(["happy", "neutral", "sad"].map { ($0, .int(Int64(counts[side]![$0] ?? 0))) })
        }
        let summary = JSON.object([
            ("examples", .int(Int64(examples.count))), ("train", countsJSON("train")), ("valid", countsJSON("valid")),
            ("truncated", .int(Int64(truncated))), ("duplicate_texts", .int(Int64(duplicates.count))),
            ("context", .int(Int64(ctx))),
        ])
        try Data(summary.pretty.utf8).write(to: out.appendingPathComponent("summary.json"))
        context.setSummary("train", .int(Int64(train.count)))
        context.setSummary("valid", .int(Int64(valid.count)))
        context.setSummary("truncated", .int(Int64(truncated)))
        context.setSummary("duplicate_texts", .int(Int64(duplicates.count)))
    }
}
