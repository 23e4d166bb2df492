/// Where over-optimisation starts along a PPO run: the first checkpoint whose samples have lost
/// both fluency (their perplexity under the original model has grown by `perplexityRatio`) and the
/// original's texture (the separator ratio has moved by `separatorChange` either way) since the
/// start, while the reward model still scores it higher than the checkpoint before. The
/// preferred checkpoint is the last one before that onset (before any degraded one).
public struct OveroptimizationOnset: Equatable, Sendable {
    public struct Thresholds: Equatable, Sendable {
        public var perplexityRatio: Double
        public var separatorChange: Double

        public init(perplexityRatio: Double, separatorChange: Double) {
            self.perplexityRatio = perplexityRatio
            self.separatorChange = separatorChange
        }
    }

    /// What the rule reads of each checkpoint, in run order (the first is the original policy).
    public struct Point: Equatable, Sendable {
        public var reward: Double, perplexity: Double, separatorRatio: Double

        public init(reward: Double, perplexity: Double, separatorRatio: Double) {
            self.reward = reward
            self.perplexity = perplexity
            self.separatorRatio = separatorRatio
        }
    }

    /// Per point: both measures beyond their thresholds from the first point.
    public let degraded: [Bool]
    /// The index of the onset, when there is one.
    public let onset: Int?
    /// The index of the preferred checkpoint: the last before any degraded point, which is the
    /// last before the onset unless degradation first came with a falling reward; the last point
    /// when none is degraded.
    public let preferred: Int

    public init(points: [Point], thresholds: Thresholds) {
        precondition(!points.isEmpty)
        let start = points[0]
        let degraded = points.map {
            $0.perplexity >= start.perplexity * thresholds.perplexityRatio
                && abs($0.separatorRatio - start.separatorRatio) >= thresholds.separatorChange
        }
        self.degraded = degraded
        onset = points.indices.dropFirst().first { degraded[$0] && points[$0].reward > points[$0 - 1].reward }
        let firstDegraded = points.indices.dropFirst().first { degraded[$0] }
        preferred = (firstDegraded ?? points.count) - 1
    }
}
