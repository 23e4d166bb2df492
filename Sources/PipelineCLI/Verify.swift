import ArgumentParser
import Artifacts
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute locked stages from their recorded inputs, ignoring every cache, and compare hashes.",
        discussion: "Exit status 1 when any output differs from the lock; the files that differ are named. This is the reproducibility check for CI."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Argument(help: "Stages to verify (default: every stage in the lock).")
    var stages: [String] = []

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let results = try workspace.verify(pipeline, stages: stages) { Console.progress("recomputing \($0) ...") }
        Console.clearProgress()
        let width = max(12, (results.map(\.stage.count).max() ?? 0) + 2)
        for r in results {
            if r.reproduced {
                Console.out("reproduced  \(Console.pad(r.stage, width))\(r.actual.prefix(12))")
            } else {
                Console.out("MISMATCH    \(Console.pad(r.stage, width))lock \(r.expected.prefix(12)), recomputed \(r.actual.prefix(12)); files that differ: \(r.differingFiles.joined(separator: ", "))")
            }
        }
        let bad = results.filter { !$0.reproduced }.count
        Console.out(bad == 0 ? "all \(plural(results.count, "stage")) reproduced" : "\(bad) of \(plural(results.count, "stage")) did not reproduce")
        if bad > 0 { throw ExitCode(1) }
    }
}
