import Artifacts
import Foundation

/// `pipeline eval-report`: ratings files exported by eval.html, joined with the pack's key. Per
/// source: the reward model's p(happy) and the raters' positivity and sense (mean and std); the
/// Mann-Whitney U test between the sources on each sample's mean rating; with two or more raters,
/// their agreement (Krippendorff's alpha, interval metric).
public struct EvalReport {
    public static let questions = ["positivity", "sense"]

    struct Item { let source: String, pHappy: Double }
    /// One rater's ratings: id -> question -> 1...5.
    struct Rater { let name: String, file: String, ratings: [String: [String: Double]] }

    let packID: String
    let items: [String: Item]
    let order: [String]
    let sources: [(name: String, iteration: Int64?)]
    let raters: [Rater]

    /// Checks every file against the key; the first problem is a clear error naming the file.
    public init(key: JSON, ratingFiles: [URL]) throws {
        guard let packID = key["pack_id"]?.stringValue, let entries = key["items"]?.arrayValue else {
            throw PipelineError.badInput("eval-report: the eval-pack key has no pack_id or items")
        }
        self.packID = packID
        var items: [String: Item] = [:], order: [String] = []
        for entry in entries {
            guard let id = entry["id"]?.stringValue, let source = entry["source"]?.stringValue else { continue }
            items[id] = Item(source: source, pHappy: entry["p_happy"]?.doubleValue ?? .nan)
            order.append(id)
        }
        self.items = items
        self.order = order
        sources = [EvalPackStage.sources.pretrained, EvalPackStage.sources.policy].map { ($0, key["sources"]?[$0]?["iteration"]?.intValue) }
        guard !ratingFiles.isEmpty else { throw PipelineError.badInput("eval-report: give one or more ratings files exported by eval.html") }
        var raters: [Rater] = []
        for file in ratingFiles {
            let rater = try EvalReport.read(file, packID: packID, items: items)
            if let other = raters.first(where: { $0.name == rater.name }) {
                throw PipelineError.badInput("eval-report: \(other.file) and \(rater.file) are both from rater '\(rater.name)'; give each rater's file once")
            }
            raters.append(rater)
        }
        self.raters = raters
    }

    static func read(_ url: URL, packID: String, items: [String: Item]) throws -> Rater {
        let name = url.path
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError.badInput("eval-report: cannot read \(name): no such file, or not readable")
        }
        let json: JSON
        do { json = try JSON.parse(data) } catch {
            throw PipelineError.badInput("eval-report: cannot read \(name) as JSON (\(error))")
        }
        guard json["format"]?.stringValue == EvalPage.ratingsFormat, let ratings = json["ratings"]?.arrayValue else {
            throw PipelineError.badInput("eval-report: \(name) is not a ratings file exported by eval.html (no \"format\": \"\(EvalPage.ratingsFormat)\" and \"ratings\")")
        }
        guard let filePack = json["pack_id"]?.stringValue, filePack == packID else {
            throw PipelineError.badInput("eval-report: \(name) holds ratings of another pack (\(json["pack_id"]?.stringValue ?? "none")), not of the current eval-pack (\(packID)); rate the current eval.html, or use the workspace and profile that made that pack")
        }
        guard let rater = json["rater"]?.stringValue?.trimmingCharacters(in: .whitespaces), !rater.isEmpty else {
            throw PipelineError.badInput("eval-report: \(name) names no rater")
        }
        var byID: [String: [String: Double]] = [:]
        for rating in ratings {
            guard let id = rating["id"]?.stringValue else { throw PipelineError.badInput("eval-report: \(name) has a rating without an id") }
            guard items[id] != nil else { throw PipelineError.badInput("eval-report: \(name) rates sample '\(id)', which is not in this pack") }
            guard byID[id] == nil else { throw PipelineError.badInput("eval-report: \(name) rates sample '\(id)' twice") }
            var scores: [String: Double] = [:]
            for question in questions {
                guard let value = rating[question], value != .null else { continue }
                guard let score = value.intValue, (1...5).contains(score) else {
                    throw PipelineError.badInput("eval-report: \(name) gives sample '\(id)' \(question) \(value.canonical); ratings are whole numbers from 1 to 5")
                }
                scores[question] = Double(score)
            }
            byID[id] = scores
        }
        return Rater(name: rater, file: name, ratings: byID)
    }

    /// Every rating of `question` given to samples of `source`, rater by rater.
    func ratings(_ question: String, source: String) -> [Double] {
        raters.flatMap { rater in order.filter { items[$0]?.source == source }.compactMap { rater.ratings[$0]?[question] } }
    }

    /// Each rated sample's mean rating of `question` over the raters who rated it.
    func sampleMeans(_ question: String, source: String) -> [Double] {
        order.filter { items[$0]?.source == source }.compactMap { id in
            let values = raters.compactMap { $0.ratings[id]?[question] }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
    }

    static func meanAndStd(_ xs: [Double]) -> String {
        guard !xs.isEmpty else { return "-" }
        let (mean, std) = meanAndDeviation(xs.map(Float.init))
        return String(format: "%.2f ± %.2f", mean, std)
    }

    public var text: String {
        var out = "pack \(packID): \(order.count) samples, \(raters.count) rater\(raters.count == 1 ? "" : "s") (\(raters.map(\.name).joined(separator: ", ")))\n\n"
        let rows = sources.map { source -> [String] in
            let ids = order.filter { items[$0]?.source == source.name }
            let label = source.name + (source.name == EvalPackStage.sources.policy ? source.iteration.map { " (iteration \($0))" } ?? "" : "")
            let rated = raters.reduce(0) { sum, r in sum + ids.filter { r.ratings[$0]?.isEmpty == false }.count }
            return [label, String(ids.count), EvalReport.meanAndStd(ids.compactMap { items[$0]?.pHappy }),
                    EvalReport.meanAndStd(ratings("positivity", source: source.name)), EvalReport.meanAndStd(ratings("sense", source: source.name)),
                    String(rated)]
        }
        out += table(header: ["source", "samples", "reward p(happy)", "positivity", "sense", "ratings"], rows: rows)
        let (a, b) = (EvalPackStage.sources.policy, EvalPackStage.sources.pretrained)
        out += "\nMann-Whitney U, \(a) vs \(b) (each sample's mean rating; two-sided):\n"
        for question in EvalReport.questions {
            if let test = RatingStatistics.mannWhitneyU(sampleMeans(question, source: a), sampleMeans(question, source: b)) {
                out += "  " + question.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: "  U = %.1f  z = %+.2f  p = %.4f\n", test.u, test.z, test.p)
            } else {
                out += "  \(question)  (not enough ratings)\n"
            }
        }
        if raters.count >= 2 {
            out += "\nAgreement between raters (Krippendorff's alpha, interval metric):\n"
            for question in EvalReport.questions {
                let units = order.map { id in raters.compactMap { $0.ratings[id]?[question] } }
                out += "  " + question.padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                    + (RatingStatistics.krippendorffAlpha(units).map { String(format: "%.3f", $0) } ?? "(undefined: too few paired ratings, or no variation)") + "\n"
            }
        }
        return out
    }

    func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max()! }
        return all.map { row in
            row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
