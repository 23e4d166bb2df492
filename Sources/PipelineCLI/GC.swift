import ArgumentParser
import Artifacts
import Foundation

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete objects, run records and checkpoints that nothing reaches; or check every object (--verify).",
        discussion: """
        Kept: the outputs named by any lock file (pipeline.lock, pipeline.<profile>.lock) and by \
        any run record (the run cache), and the checkpoints of stages that have not finished \
        (so an interrupted run still resumes; --checkpoints deletes those too).
        """
    )

    @OptionGroup var options: WorkspaceOptions

    @Flag(help: "List what would be deleted, delete nothing.")
    var dryRun = false

    @Flag(help: "Also delete the checkpoints of unfinished runs.")
    var checkpoints = false

    @Flag(help: "Also forget run records that no lock file names, and the outputs only they kept (reverting a param then recomputes).")
    var pruneCache = false

    @Flag(help: "Re-hash every object and report corrupt ones (deletes nothing).")
    var verify = false

    func run() throws {
        let workspace = options.value
        if verify {
            let (checked, corrupt) = try workspace.verifyStore { n, total in Console.progress("verifying \(n + 1)/\(total)") }
            Console.clearProgress()
            for c in corrupt { Console.out("CORRUPT \(c.hash): \(c.reason)") }
            if corrupt.isEmpty {
                Console.out("store is clean: \(plural(checked, "object")) verified")
            } else {
                Console.out("\(corrupt.count) of \(plural(checked, "object")) corrupt")
                throw ExitCode(1)
            }
            return
        }
        let report = try workspace.collectGarbage(dryRun: dryRun, checkpoints: checkpoints, pruneCache: pruneCache) { Console.error($0) }
        let verb = dryRun ? "would delete" : "deleted"
        for o in report.objects { Console.out("\(verb) object \(o.hash) (\(formatBytes(o.bytes)))") }
        for r in report.runRecords { Console.out("\(verb) run record \(r)") }
        for w in report.workDirectories { Console.out("\(verb) checkpoints \(w.key) (\(formatBytes(w.bytes)))") }
        if report.temporaryBytes > 0 { Console.out("\(verb) scratch files (\(formatBytes(report.temporaryBytes)))") }
        Console.out("\(verb) \(plural(report.objects.count, "object")), \(plural(report.runRecords.count, "run record")), \(plural(report.workDirectories.count, "checkpoint folder")): \(formatBytes(report.bytes))")
    }
}
