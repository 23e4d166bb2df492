import Foundation

/// The functional form Gao et al. (2022, "Scaling Laws for Reward Model Overoptimization") found
/// for RL: the gold reward gained at distance d = sqrt(KL) from the initial policy is
/// R(d) = d (alpha - beta ln d). Fitted here by least squares (no intercept: R(0) = 0), which is
/// linear in alpha and beta.
public struct RewardKLFit: Equatable, Sendable {
    public let alpha: Double
    public let beta: Double
    /// Root mean square of the residuals over every point the fit saw.
    public let residual: Double
    public let points: Int

    public func callAsFunction(_ d: Double) -> Double { RewardKLFit.gain(d, alpha, beta) }

    static func gain(_ d: Double, _ alpha: Double, _ beta: Double) -> Double { d <= 0 ? 0 : d * (alpha - beta * log(d)) }

    /// The distance at which the fitted reward peaks (where over-optimisation begins in Gao's
    /// sense), when beta > 0: dR/dd = alpha - beta (ln d + 1) = 0.
    public var peak: Double? { beta > 0 ? exp(alpha / beta - 1) : nil }

    /// Fits (d, gain) points; nil when they cannot pin both coefficients down (fewer than two
    /// distinct distances above 0 other than 1, where the two terms cannot be told apart).
    public init?(distances: [Double], gains: [Double]) {
        precondition(distances.count == gains.count)
        var s11 = 0.0, s12 = 0.0, s22 = 0.0, s1y = 0.0, s2y = 0.0
        for (d, y) in zip(distances, gains) where d > 0 {
            let f1 = d, f2 = -d * log(d)
            s11 += f1 * f1; s12 += f1 * f2; s22 += f2 * f2
            s1y += f1 * y; s2y += f2 * y
        }
        let determinant = s11 * s22 - s12 * s12
        guard determinant > 1e-12 * max(s11 * s22, 1e-300) else { return nil }
        alpha = (s22 * s1y - s12 * s2y) / determinant
        beta = (s11 * s2y - s12 * s1y) / determinant
        points = distances.count
        var squares = 0.0
        for (d, y) in zip(distances, gains) {
            let error = y - RewardKLFit.gain(d, alpha, beta)
            squares += error * error
        }
        residual = (squares / Double(points)).squareRoot()
    }
}
