import Artifacts
import Foundation

/// A number, or null when it is not finite (JSON has no NaN).
func number(_ x: Float) -> JSON { x.isFinite ? .double(Double(x)) : .null }

/// Validation metrics of a reward model: accuracy on happy/sad (p > 0.5 means happy), the Brier
/// score against the soft targets, a 10-bin reliability table and the confusion matrix.
struct RewardEvaluation {
    let targets: [Float], sentiments: [String], probabilities: [Float]

    var accuracy: Float { RewardEvaluation.accuracy(sentiments: sentiments, probabilities: probabilities)?.value ?? .nan }

    /// Accuracy on the happy and sad texts (p(happy) > 0.5 means happy) and how many there were;
    /// nil when there are none. Neutral and unlabelled texts do not count.
    static func accuracy(sentiments: [String?], probabilities: [Float]) -> (value: Float, labelled: Int)? {
        let labelled = zip(sentiments, probabilities).filter { $0.0 == "happy" || $0.0 == "sad" }
        guard !labelled.isEmpty else { return nil }
        return (Float(labelled.filter { ($0.1 > 0.5) == ($0.0 == "happy") }.count) / Float(labelled.count), labelled.count)
    }

    var brier: Float {
        guard !targets.isEmpty else { return .nan }
        return zip(targets, probabilities).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) } / Float(targets.count)
    }

    var json: JSON {
        var bins: [JSON] = []
        for bin in 0..<10 {
            let lo = Float(bin) / 10, hi = Float(bin + 1) / 10
            let members = zip(targets, probabilities).filter { $0.1 >= lo && ($0.1 < hi || (bin == 9 && $0.1 <= 1)) }
            let n = Float(members.count)
            bins.append(.object([("from", .double(Double(bin) / 10)), ("to", .double(Double(bin + 1) / 10)), ("count", .int(Int64(members.count))),
                                 ("mean_p_happy", n > 0 ? .double(Double(members.reduce(0) { $0 + $1.1 } / n)) : .null),
                                 ("mean_target", n > 0 ? .double(Double(members.reduce(0) { $0 + $1.0 } / n)) : .null)]))
        }
        var confusion: [(String, JSON)] = []
        for truth in ["happy", "sad", "neutral"] {
            let rows = zip(sentiments, probabilities).filter { $0.0 == truth }
            confusion.append((truth, .object([("predicted_happy", .int(Int64(rows.filter { $0.1 > 0.5 }.count))),
                                              ("predicted_sad", .int(Int64(rows.filter { $0.1 <= 0.5 }.count)))])))
        }
        return .object([("accuracy_happy_sad", number(accuracy)), ("brier", number(brier)),
                        ("examples", .int(Int64(targets.count))), ("reliability", .array(bins)), ("confusion", .object(confusion))])
    }
}
