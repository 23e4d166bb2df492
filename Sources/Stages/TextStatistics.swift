/// Measures of a set of sampled token sequences that tell fluent text from degenerate text, as
/// the over-optimisation study uses them. All work on token ids, so they are exact and cheap.
public enum TextStatistics {
    /// The share of all tokens that are one of `separators` (the seed's over-optimisation
    /// signal: its policies drifted towards or away from newlines, spaces and stops).
    public static func separatorRatio(_ samples: [[Int32]], separators: Set<Int32>) -> Double {
        let total = samples.reduce(0) { $0 + $1.count }
        guard total > 0 else { return .nan }
        let hits = samples.reduce(0) { sum, sample in sum + sample.lazy.filter { separators.contains($0) }.count }
        return Double(hits) / Double(total)
    }

    /// Distinct-n (Li et al. 2016): distinct n-grams over all n-grams, pooled over the samples
    /// (an n-gram never spans two samples). NaN when no sample has n tokens.
    public static func distinct(_ samples: [[Int32]], n: Int) -> Double {
        precondition(n >= 1)
        var seen = Set<[Int32]>(), total = 0
        for sample in samples where sample.count >= n {
            for start in 0...(sample.count - n) {
                seen.insert(Array(sample[start..<(start + n)]))
                total += 1
            }
        }
        return total == 0 ? .nan : Double(seen.count) / Double(total)
    }

    /// The length of the longest run of tokens that occurs at least twice in `sample` (the two
    /// occurrences may overlap): 0 when no token repeats. Longest common prefix of every pair of
    /// suffixes, by dynamic programming from the end.
    public static func longestRepeat(_ sample: [Int32]) -> Int {
        let n = sample.count
        guard n >= 2 else { return 0 }
        // next[j] = common prefix length of the suffixes at i + 1 and j + 1, for the row below.
        var next = [Int](repeating: 0, count: n + 1), current = next
        var longest = 0
        for i in stride(from: n - 2, through: 0, by: -1) {
            for j in stride(from: n - 1, to: i, by: -1) {
                current[j] = sample[i] == sample[j] ? next[j + 1] + 1 : 0
                longest = max(longest, current[j])
            }
            swap(&next, &current)
        }
        return longest
    }
}

/// Every n-gram of a token stream, for the question "was this n-gram copied from the corpus?".
/// Kept as 64-bit hashes (FNV-1a over the ids, not Swift's per-process seeded `Hasher`): a false
/// match needs a collision among about a million entries in 2^64, which is negligible.
public struct NGramIndex: Sendable {
    public let n: Int
    private let hashes: Set<UInt64>

    public init(stream: [UInt32], n: Int) {
        precondition(n >= 1)
        self.n = n
        var hashes = Set<UInt64>(minimumCapacity: max(0, stream.count - n + 1))
        if stream.count >= n {
            stream.withUnsafeBufferPointer { ids in
                for start in 0...(stream.count - n) { hashes.insert(NGramIndex.hash(ids[start..<(start + n)])) }
            }
        }
        self.hashes = hashes
    }

    public func contains<C: Collection>(_ gram: C) -> Bool where C.Element: BinaryInteger {
        gram.count == n && hashes.contains(NGramIndex.hash(gram))
    }

    /// The share of the samples' n-grams found in the stream (NaN when no sample has n tokens).
    public func copiedShare(_ samples: [[Int32]]) -> Double {
        var hits = 0, total = 0
        for sample in samples where sample.count >= n {
            for start in 0...(sample.count - n) {
                if contains(sample[start..<(start + n)]) { hits += 1 }
                total += 1
            }
        }
        return total == 0 ? .nan : Double(hits) / Double(total)
    }

    static func hash<C: Collection>(_ gram: C) -> UInt64 where C.Element: BinaryInteger {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in gram {
            var value = UInt32(truncatingIfNeeded: id)
            for _ in 0..<4 {
                h = (h ^ UInt64(value & 0xff)) &* 0x100_0000_01b3
                value >>= 8
            }
        }
        return h
    }
}
