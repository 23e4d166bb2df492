import Foundation

/// The one error type users see. `badInput` means nothing was run or written (exit 2);
/// `failed` means a stage, a check or the store failed (exit 1).
public struct PipelineError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public enum Kind: Sendable { case badInput, failed }
    public let kind: Kind
    public let message: String

    public static func badInput(_ message: String) -> PipelineError { .init(kind: .badInput, message: message) }
    public static func failed(_ message: String) -> PipelineError { .init(kind: .failed, message: message) }

    public var exitCode: Int32 { kind == .badInput ? 2 : 1 }
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// The closest candidate by edit distance, if it is close enough to be a plausible typo.
public func nearestName(to name: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && utf8Less($0.0, $1.0)) }) else { return nil }
    return best.1 <= max(2, name.count / 3) ? best.0 : nil
}

/// " (did you mean 'x'?)" or "".
public func didYouMean(_ name: String, in candidates: [String]) -> String {
    nearestName(to: name, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}

func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + Array(repeating: 0, count: y.count)
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[y.count]
}
