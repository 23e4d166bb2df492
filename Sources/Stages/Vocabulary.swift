import Artifacts
import Foundation

/// Token ids: `[UNK]` is 0, then every known token in byte order. Stored as `vocab.json`, a JSON
/// array of the tokens in id order.
public struct Vocabulary: Sendable {
    public static let unknown = "[UNK]"
    public let tokens: [Token]
    private let ids: [Token: UInt32]

    /// The vocabulary of `corpus`: its distinct tokens plus `[UNK]`.
    public init<S: Sequence>(building corpus: S) where S.Element == Token {
        self.init(tokens: [Token(Vocabulary.unknown)] + Set(corpus).sorted())
    }

    public init(tokens: [Token]) {
        self.tokens = tokens
        var ids: [Token: UInt32] = [:]
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = UInt32(i) }
        self.ids = ids
    }

    public var count: Int { tokens.count }

    /// The id of `token`, or 0 (`[UNK]`) when it is not in the vocabulary.
    public func id(_ token: Token) -> UInt32 { ids[token] ?? 0 }

    public func contains(_ token: Token) -> Bool { ids[token] != nil }

    public func encode(_ text: String) -> [UInt32] { WordBoundaryTokenizer.tokenize(text).map(id) }

    /// Joins the tokens of `ids`: the inverse of `encode` for text without unknown tokens.
    public func decode<S: Sequence>(_ ids: S) -> String where S.Element == UInt32 {
        var bytes: [UInt8] = []
        for id in ids { bytes.append(contentsOf: tokens[Int(id)].bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var json: JSON { .array(tokens.map { .string($0.text) }) }

    public func write(to url: URL) throws {
        try Data(json.pretty.utf8).write(to: url)
    }

    public static func read(from url: URL) throws -> Vocabulary {
        guard let data = FileManager.default.contents(atPath: url.path), let json = try? JSON.parse(data),
              let items = json.arrayValue else {
            throw PipelineError.failed("\(url.path) is not a vocabulary (a JSON array of tokens)")
        }
        return Vocabulary(tokens: items.map { Token($0.stringValue ?? "") })
    }
}

/// Little-endian UInt32 arrays on disk: the token stream and the split sequences.
public enum TokenFile {
    public static func write(_ ids: [UInt32], to url: URL) throws {
        let data = ids.withUnsafeBufferPointer { Data(buffer: UnsafeBufferPointer(start: $0.baseAddress.map {
            UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }, count: $0.count * 4)) }
        try data.write(to: url)
    }

    public static func read(_ url: URL) throws -> [UInt32] {
        let data = try Data(contentsOf: url)
        guard data.count % 4 == 0 else { throw PipelineError.failed("\(url.path): size is not a multiple of 4 bytes") }
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) } }
    }
}
