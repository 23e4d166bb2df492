#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Learning-rate schedules, as functions of the 1-based step.
public enum LearningRate: Codable, Equatable, Sendable {
    /// The seed's "AttentionScheduler" (Noam): lr_mul * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5).
    case noam(lrMul: Double, dModel: Int, warmupSteps: Int)
    /// Linear warmup to `peak`, then cosine decay to `floor` at `totalSteps`.
    case warmupCosine(peak: Double, floor: Double, warmupSteps: Int, totalSteps: Int)
    case constant(Double)

    public func at(step: Int) -> Float {
        let s = Double(max(step, 1))
        switch self {
        case let .noam(lrMul, dModel, warmup):
            return Float(lrMul * pow(Double(dModel), -0.5) * min(pow(s, -0.5), s * pow(Double(max(warmup, 1)), -1.5)))
        case let .warmupCosine(peak, floor, warmup, total):
            if s <= Double(warmup) { return Float(peak * s / Double(max(warmup, 1))) }
            let progress = min(1, (s - Double(warmup)) / Double(max(total - warmup, 1)))
            return Float(floor + 0.5 * (peak - floor) * (1 + cos(Double.pi * progress)))
        case let .constant(lr):
            return Float(lr)
        }
    }

    /// The seed's warmup: 5% of the steps.
    public static func seedWarmup(totalSteps: Int) -> Int { max(1, totalSteps * 5 / 100) }
}
