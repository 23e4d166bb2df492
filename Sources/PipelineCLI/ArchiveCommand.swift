import ArgumentParser
import Artifacts
import Foundation

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Pack the lock file and the artifacts of the named stages (default: all) into one file to share.",
        discussion: "The archive is a tar compressed with zstd (or gzip when FILE ends in .gz or .tgz), byte-identical every time for the same store. `pipeline import` reads it."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The archive to write.", valueName: "FILE"))
    var output: String

    @Argument(help: "Stages to include (default: every stage in the lock).")
    var stages: [String] = []

    func run() throws {
        let workspace = options.value
        let pipeline = try workspace.resolve(profile: profile.profile)
        let result = try workspace.writeArchive(pipeline, stages: stages, to: URL(fileURLWithPath: output))
        Console.out("wrote \(output): \(result.stages) stages, \(result.objects) objects, \(formatBytes(result.bytes))")
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the artifacts of an archive to this workspace's store, checking every one first.",
        discussion: """
        Every entry must be a plain file at a path a pipeline archive uses (no absolute paths, no \
        '..', no links or devices) and within --max-entry-size; every object must hash to its name. \
        Otherwise nothing is imported. Afterwards `pipeline run` restores the archived stages from \
        the run cache instead of recomputing them.
        """
    )

    @OptionGroup var options: WorkspaceOptions

    @Argument(help: "The archive (from `pipeline archive`).")
    var file: String

    @Option(help: ArgumentHelp("Largest entry accepted, in bytes (default 16 GiB).", valueName: "BYTES"))
    var maxEntrySize: Int64 = Workspace.defaultMaxEntrySize

    func run() throws {
        let result = try options.value.importArchive(URL(fileURLWithPath: file), maxEntrySize: maxEntrySize) { Console.error($0) }
        Console.out("imported \(file): \(result.objects) new objects, \(result.stages) stages of profile \(result.profile); `pipeline run\(result.profile == "default" ? "" : " --profile \(result.profile)")` will use them")
    }
}
