import Artifacts
import Foundation
import Stages
import Testing
import TestStages

@Suite("pipeline eval-report")
struct EvalReportCommandTests {
    @Test("joins the raters' files with the current pack's key; another pack's file is refused")
    func report() throws {
        let ws = try ScratchWorkspace(config: TinyRewardPipeline.config, files: TinyRewardPipeline.files, registry: StandardStages.registry)
        let run = try runProcess(pipelineBinary, ["run"], in: ws.root)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try runProcess(pipelineBinary, ["checkout", "eval-pack", "pack"], in: ws.root).status == 0)
        let key = try JSON.parse(Data(contentsOf: ws.root.appendingPathComponent("pack/key.json")))
        let packID = try #require(key["pack_id"]?.stringValue)
        let items = try #require(key["items"]?.arrayValue)
        // Two raters who like the policy's samples (5 and 4) better than the pretrained ones (2 and 1).
        func ratings(_ rater: String, high: Int, low: Int) -> String {
            JSON.object([("format", .string(EvalPage.ratingsFormat)), ("version", .int(1)), ("pack_id", .string(packID)), ("rater", .string(rater)),
                         ("ratings", .array(items.map { item in
                             let score = item["source"] == .string("policy") ? high : low
                             return .object([("id", item["id"]!), ("positivity", .int(Int64(score))), ("sense", .int(3)), ("notes", .string(""))])
                         }))]).pretty
        }
        try ws.write("ann.json", ratings("Ann", high: 5, low: 2))
        try ws.write("ben.json", ratings("Ben", high: 4, low: 1))
        let result = try runProcess(pipelineBinary, ["eval-report", "ann.json", "ben.json"], in: ws.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "pack \(packID): 11 samples, 2 raters (Ann, Ben)")
        #expect(lines[3].hasPrefix("pretrained ") && lines[3].contains("  1.50 ± 0.50  3.00 ± 0.00       10"))
        #expect(lines[4].hasPrefix("policy (iteration ") && lines[4].contains("  4.50 ± 0.50  3.00 ± 0.00       12"))
        // Every policy sample's mean (4.5) is above every pretrained one's (1.5): U = 6 * 5 = 30.
        #expect(lines.contains { $0.hasPrefix("  positivity  U = 30.0  z = +") })
        #expect(lines.contains("  sense       (not enough ratings)") == false)
        #expect(lines.contains { $0.hasPrefix("  sense       U = 15.0  z = +0.00  p = 1.0000") })
        #expect(lines.contains("Agreement between raters (Krippendorff's alpha, interval metric):"))

        try ws.write("other.json", ratings("Cy", high: 5, low: 1).replacingOccurrences(of: packID, with: "0000000000000000"))
        let refused = try runProcess(pipelineBinary, ["eval-report", "ann.json", "other.json"], in: ws.root)
        #expect(refused.status == 2 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("other.json holds ratings of another pack (0000000000000000), not of the current eval-pack (\(packID))"), "\(refused.stderr)")
    }
}
