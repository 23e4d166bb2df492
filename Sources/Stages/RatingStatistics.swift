import Foundation

/// The statistics of a human evaluation: is one source rated higher than the other, and do the
/// raters agree?
public enum RatingStatistics {
    /// The Mann-Whitney U test of `a` against `b`, two-sided, by the normal approximation with the
    /// tie correction and a continuity correction (scipy's `mannwhitneyu(method="asymptotic")`).
    /// `u` is a's statistic: the number of (a, b) pairs where a is larger, ties counting half.
    public static func mannWhitneyU(_ a: [Double], _ b: [Double]) -> (u: Double, z: Double, p: Double)? {
        let n1 = Double(a.count), n2 = Double(b.count), n = n1 + n2
        guard a.count >= 1, b.count >= 1 else { return nil }
        let ranks = averageRanks(a + b)
        let u = ranks.prefix(a.count).reduce(0, +) - n1 * (n1 + 1) / 2
        var ties = 0.0
        for count in Dictionary(grouping: a + b, by: { $0 }).values.map(\.count) where count > 1 {
            ties += Double(count * count * count - count)
        }
        let variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
        guard variance > 0 else { return (u, 0, 1) }
        let z = max(0, abs(u - n1 * n2 / 2) - 0.5) / variance.squareRoot()
        return (u, (u >= n1 * n2 / 2 ? 1 : -1) * z, min(1, erfc(z / 2.squareRoot())))
    }

    /// Ranks from 1, ties sharing the average of their positions.
    static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            for k in start...end { ranks[order[k]] = Double(start + end) / 2 + 1 }
            start = end + 1
        }
        return ranks
    }

    /// Krippendorff's alpha with the interval metric. `units[i]` holds the values the raters gave
    /// unit i (missing ratings left out); units with fewer than two values cannot be paired and do
    /// not count. Nil when fewer than two values are pairable or they are all equal.
    public static func krippendorffAlpha(_ units: [[Double]]) -> Double? {
        let pairable = units.filter { $0.count >= 2 }
        let values = pairable.flatMap { $0 }
        let n = Double(values.count)
        guard n >= 2 else { return nil }
        var observed = 0.0
        for unit in pairable {
            var sum = 0.0
            for (i, c) in unit.enumerated() { for (j, k) in unit.enumerated() where i != j { sum += (c - k) * (c - k) } }
            observed += sum / Double(unit.count - 1)
        }
        observed /= n
        var expected = 0.0
        for (i, c) in values.enumerated() { for (j, k) in values.enumerated() where i != j { expected += (c - k) * (c - k) } }
        expected /= n * (n - 1)
        guard expected > 0 else { return nil }
        return 1 - observed / expected
    }
}
