import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("label-import stage")
struct LabelImportTests {
    /// A corpus of 10 numbered lines (the work is called "text", after the file).
    static let corpus = (1...10).map { "Line number \($0) of the play." }.joined(separator: "\n") + "\n"

    func workspace(labels: String, context: Int = 64, validFraction: Double = 0.2, seed: Int = 1) throws -> ScratchWorkspace {
        try stageWorkspace(config: """
        {"seed": \(seed), "stages": {
          "tokenize": {"inputs": {"corpus": {"file": "text.txt"}}, "params": {"format": "text", "valid_fraction": 0}},
          "label-import": {"inputs": {"labels": {"file": "labels.jsonl"}, "tokens": {"stage": "tokenize"}},
                           "params": {"context": \(context), "valid_fraction": \(validFraction)}}
        }}
        """, files: ["text.txt": LabelImportTests.corpus, "labels.jsonl": labels])
    }

    func labels(_ ws: ScratchWorkspace) throws -> JSON {
        try JSON.parse(Data(contentsOf: try ws.artifact("label-import").appendingPathComponent("labels.json")))
    }

    @Test("both line forms, soft targets and truncation")
    func formats() throws {
        let ws = try workspace(labels: """
        {"sample": "O happy day", "sentiment": "happy"}
        {"work": "text", "line": 3, "lines": 2, "sentiment": "sad"}

        {"sample": "The king \\u2019tis here", "sentiment": "neutral"}
        """, context: 8, validFraction: 0)
        #expect(try ws.reports().map(\.outcome) == [.ran, .ran])
        let json = try labels(ws)
        let train = try #require(json["train"]?.arrayValue)
        #expect(train.map { $0["target"] } == [.double(1), .double(0), .double(0.5)])
        #expect(train[1]["text"] == .string("Line number 3 of the play.\nLine number 4 of the play."))
        #expect(train[1]["source"] == .string("text:3+2"))
        #expect(train[2]["text"] == .string("The king 'tis here"))
        // "O happy day" is 5 tokens, kept unpadded; words outside the vocabulary are [UNK] (0).
        #expect(train[0]["length"] == .int(5))
        #expect(train[0]["ids"]?.arrayValue?.count == 5)
        // The corpus passage has 24 tokens: cut to 8.
        #expect(train[1]["length"] == .int(8))
        let summary = try JSON.parse(Data(contentsOf: try ws.artifact("label-import").appendingPathComponent("summary.json")))
        #expect(summary["truncated"] == .int(1))
    }

    @Test("the split is stratified, seeded, and keeps duplicates on one side")
    func stratifiedSplit() throws {
        var lines: [String] = []
        for i in 0..<20 { lines.append(#"{"sample": "joy \#(i)", "sentiment": "happy"}"#) }
        for i in 0..<10 { lines.append(#"{"sample": "woe \#(i)", "sentiment": "sad"}"#) }
        for _ in 0..<3 { lines.append(#"{"sample": "the same words", "sentiment": "neutral"}"#) }
        for i in 0..<5 { lines.append(#"{"sample": "plain \#(i)", "sentiment": "neutral"}"#) }
        let text = lines.joined(separator: "\n")
        let one = try workspace(labels: text), again = try workspace(labels: text), other = try workspace(labels: text, seed: 2)
        _ = try one.reports(); _ = try again.reports(); _ = try other.reports()
        let summary = try JSON.parse(Data(contentsOf: try one.artifact("label-import").appendingPathComponent("summary.json")))
        // 20% of each sentiment's distinct texts: 4 of 20 happy, 2 of 10 sad, 1 of 6 neutral texts.
        #expect(summary["valid"]?["happy"] == .int(4))
        #expect(summary["valid"]?["sad"] == .int(2))
        #expect(summary["duplicate_texts"] == .int(1))
        let split = try labels(one)
        let sides = ["train", "valid"].map { side in split[side]!.arrayValue!.filter { $0["text"] == .string("the same words") }.count }
        #expect(sides.sorted() == [0, 3])
        #expect(try labels(again) == split)
        #expect(try labels(other) != split)
    }

    @Test("bad labels: one error naming the file and line, nothing imported", arguments: [
        ("{\"sample\": \"ok\", \"sentiment\": \"happy\"}\nnot json", "labels.jsonl:2: not JSON (column 1: expected a value, found 'n'); nothing was imported"),
        ("{\"sample\": \"ok\"}", "labels.jsonl:1: missing field \"sentiment\"; nothing was imported"),
        ("{\"sample\": \"ok\", \"sentiment\": \"glad\"}", "labels.jsonl:1: unknown sentiment \"glad\"; use \"happy\", \"sad\" or \"neutral\"; nothing was imported"),
        ("{\"sample\": \"  \", \"sentiment\": \"sad\"}", "labels.jsonl:1: empty sample; nothing was imported"),
        ("{\"work\": \"txet\", \"line\": 1, \"sentiment\": \"sad\"}", "labels.jsonl:1: unknown work \"txet\" (did you mean 'text'?); nothing was imported"),
        ("{\"work\": \"text\", \"line\": 9, \"lines\": 3, \"sentiment\": \"sad\"}", "labels.jsonl:1: lines 9-11 are past the end of text (10 lines); nothing was imported"),
        ("{\"sentiment\": \"sad\"}", "labels.jsonl:1: missing field \"sample\" (or \"work\", \"line\", \"lines\"); nothing was imported"),
    ])
    func badLabels(labels: String, message: String) throws {
        let ws = try workspace(labels: labels)
        let reports = try ws.reports()
        #expect(reports[1].outcome == .failed(message))
        #expect(try ws.workspace.loadLock(ws.workspace.resolve()).entries["label-import"] == nil)
    }
}

@Suite("The project's label set")
struct ProjectLabelSetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("corpus/labels.jsonl: at least 4,900 passages of 1-6 lines, 2,000 happy, 2,000 sad, 700 neutral, no work over 10%")
    func counts() throws {
        let text = try String(contentsOf: ProjectLabelSetTests.root.appendingPathComponent("corpus/labels.jsonl"), encoding: .utf8)
        var sentiments: [String: Int] = [:], works: [String: Int] = [:]
        var total = 0
        for line in text.split(separator: "\n") {
            let json = try JSON.parse(String(line))
            let lines = try #require(json["lines"]?.intValue)
            #expect((1...6).contains(lines))
            #expect(json["sample"] == nil, "the project's set holds references, not text")
            sentiments[json["sentiment"]!.stringValue!, default: 0] += 1
            works[json["work"]!.stringValue!, default: 0] += 1
            total += 1
        }
        #expect(total >= 4900)
        #expect(sentiments["happy", default: 0] >= 2000 && sentiments["sad", default: 0] >= 2000 && sentiments["neutral", default: 0] >= 700)
        #expect(works.count == 42)
        #expect(works.values.max()! * 10 <= total)
    }

    @Test("it imports against the real corpus",
          .enabled(if: FileManager.default.fileExists(atPath: DataStagesTests.corpus.path), "corpus not downloaded (make corpus)"))
    func imports() throws {
        let ws = try stageWorkspace(config: """
        {"stages": {
          "tokenize": {"inputs": {"corpus": {"file": "\(DataStagesTests.corpus.path)"}}},
          "label-import": {"inputs": {"labels": {"file": "\(ProjectLabelSetTests.root.appendingPathComponent("corpus/labels.jsonl").path)"}, "tokens": {"stage": "tokenize"}}}
        }}
        """)
        #expect(try ws.reports().map(\.outcome) == [.ran, .ran])
        let summary = try JSON.parse(Data(contentsOf: try ws.artifact("label-import").appendingPathComponent("summary.json")))
        #expect(summary["examples"] == .int(5258))
    }
}
