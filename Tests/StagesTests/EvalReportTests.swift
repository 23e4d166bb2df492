import Artifacts
import Foundation
@testable import Stages
import Testing

@Suite("rating statistics")
struct RatingStatisticsTests {
    @Test("Mann-Whitney U matches scipy's asymptotic test (tie and continuity corrections)")
    func mannWhitney() throws {
        // scipy.stats.mannwhitneyu(a, b, method="asymptotic"): U 46.0, p 0.0371849958013698.
        let a = [3.0, 4, 2, 5, 4, 4, 3], b = [2.0, 3, 1, 2, 3, 2, 4, 1]
        let test = try #require(RatingStatistics.mannWhitneyU(a, b))
        #expect(test.u == 46 && abs(test.p - 0.0371849958013698) < 1e-12 && test.z > 0)
        let reversed = try #require(RatingStatistics.mannWhitneyU(b, a))
        #expect(reversed.u == 10 && abs(reversed.p - test.p) < 1e-15 && reversed.z == -test.z)
        // No ties: U 0.0, p 0.05182992721790968.
        let apart = try #require(RatingStatistics.mannWhitneyU([1, 2, 3], [4, 5, 6, 7]))
        #expect(apart.u == 0 && abs(apart.p - 0.05182992721790968) < 1e-12)
        #expect(RatingStatistics.mannWhitneyU([2, 2], [2]).map { $0.p } == 1)
        #expect(RatingStatistics.mannWhitneyU([], [1]) == nil)
        #expect(RatingStatistics.averageRanks([10, 20, 10, 30]) == [1.5, 3, 1.5, 4])
    }

    @Test("Krippendorff's alpha, interval: his reliability-data example (0.849)")
    func krippendorff() throws {
        // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units,
        // missing values; interval alpha = 0.849.
        let observers: [[Double?]] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nil, nil, nil],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nil, 3],
            [nil, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nil],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nil],
        ]
        let units = (0..<12).map { u in observers.compactMap { $0[u] } }
        let alpha = try #require(RatingStatistics.krippendorffAlpha(units))
        #expect((alpha * 1000).rounded() == 849, "\(alpha)")
        #expect(RatingStatistics.krippendorffAlpha([[1, 1], [2, 2], [3, 3]]) == 1)
        #expect(RatingStatistics.krippendorffAlpha([[3, 3], [3, 3]]) == nil)   // no variation
        #expect(RatingStatistics.krippendorffAlpha([[1], [2]]) == nil)         // nothing pairable
    }
}

@Suite("eval-report")
struct EvalReportTests {
    /// A key of four samples: a and c from the policy, b and d pretrained.
    let key = JSON.object([
        ("pack_id", .string("p1")),
        ("sources", .object([("pretrained", .object([("iteration", .int(0))])), ("policy", .object([("iteration", .int(12))]))])),
        ("items", .array([("a", "policy", 0.9), ("b", "pretrained", 0.2), ("c", "policy", 0.7), ("d", "pretrained", 0.4)].map {
            .object([("id", .string($0.0)), ("source", .string($0.1)), ("p_happy", .double($0.2))])
        })),
    ])

    func ratings(_ rater: String, _ scores: [(String, JSON, JSON)], pack: String = "p1", format: String = EvalPage.ratingsFormat) -> String {
        JSON.object([("format", .string(format)), ("version", .int(1)), ("pack_id", .string(pack)), ("rater", .string(rater)),
                     ("ratings", .array(scores.map { .object([("id", .string($0.0)), ("positivity", $0.1), ("sense", $0.2), ("notes", .string(""))]) }))]).pretty
    }

    func files(_ contents: [String]) throws -> (URL, [URL]) {
        let folder = try FileSystem.makeTemporaryDirectory(prefix: "ratings")
        let urls = try contents.enumerated().map { k, text in
            let url = folder.appendingPathComponent("r\(k).json")
            try Data(text.utf8).write(to: url)
            return url
        }
        return (folder, urls)
    }

    @Test("the table per source, the U test and the raters' agreement")
    func report() throws {
        let (folder, urls) = try files([
            ratings("Ann", [("a", .int(5), .int(2)), ("b", .int(2), .int(4)), ("c", .int(4), .int(3)), ("d", .int(1), .int(4))]),
            ratings("Ben", [("a", .int(4), .int(2)), ("b", .int(2), .int(5)), ("c", .int(5), .null), ("d", .int(2), .int(4))]),
        ])
        defer { FileSystem.remove(folder) }
        let report = try EvalReport(key: key, ratingFiles: urls)
        #expect(report.ratings("positivity", source: "policy") == [5, 4, 4, 5])
        #expect(report.sampleMeans("sense", source: "policy") == [2, 3])   // c: Ann's 3 only
        let expected = """
        pack p1: 4 samples, 2 raters (Ann, Ben)

        source                 samples  reward p(happy)   positivity        sense  ratings
        pretrained                   2      0.30 ± 0.10  1.75 ± 0.43  4.25 ± 0.43        4
        policy (iteration 12)        2      0.80 ± 0.10  4.50 ± 0.50  2.33 ± 0.47        4

        Mann-Whitney U, policy vs pretrained (each sample's mean rating; two-sided):
          positivity  U = 4.0  z = +1.22  p = 0.2207
          sense       U = 0.0  z = -1.16  p = 0.2453

        Agreement between raters (Krippendorff's alpha, interval metric):
          positivity  \(String(format: "%.3f", RatingStatistics.krippendorffAlpha([[5, 4], [2, 2], [4, 5], [1, 2]])!))
          sense       \(String(format: "%.3f", RatingStatistics.krippendorffAlpha([[2, 2], [4, 5], [3], [4, 4]])!))

        """
        #expect(report.text == expected)
    }

    @Test("bad ratings files: one clear error naming the file")
    func badFiles() throws {
        let good = ratings("Ann", [("a", .int(5), .int(2))])
        let cases: [([String], String)] = [
            (["not json"], "as JSON (line 1, column 1"),
            ([#"{"ratings": []}"#], "is not a ratings file exported by eval.html"),
            ([ratings("Ann", [], pack: "p2")], "holds ratings of another pack (p2), not of the current eval-pack (p1)"),
            ([ratings("Ann", [("zz", .int(1), .int(1))])], "rates sample 'zz', which is not in this pack"),
            ([ratings("Ann", [("a", .int(6), .int(1))])], "gives sample 'a' positivity 6; ratings are whole numbers from 1 to 5"),
            ([ratings("Ann", [("a", .int(3), .double(2.5))])], "gives sample 'a' sense 2.5; ratings are whole numbers from 1 to 5"),
            ([ratings("Ann", [("a", .int(3), .int(1)), ("a", .int(3), .int(1))])], "rates sample 'a' twice"),
            ([ratings(" ", [])], "names no rater"),
            ([good, good], "are both from rater 'Ann'"),
        ]
        let absent = URL(fileURLWithPath: "/nonexistent/ratings.json")
        #expect(throws: PipelineError.badInput("eval-report: cannot read \(absent.path): no such file, or not readable")) {
            try EvalReport(key: key, ratingFiles: [absent])
        }
        for (contents, message) in cases {
            let (folder, urls) = try files(contents)
            defer { FileSystem.remove(folder) }
            do {
                _ = try EvalReport(key: key, ratingFiles: urls)
                Issue.record("accepted: \(contents)")
            } catch let error as PipelineError {
                #expect(error.message.contains(message) && error.message.contains(urls.last!.path), "\(error.message)")
                #expect(error.exitCode == 2)
            }
        }
    }
}
