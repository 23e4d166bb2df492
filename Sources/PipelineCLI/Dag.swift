import ArgumentParser
import Artifacts
import Foundation

struct Dag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the stage graph: as text (default), Graphviz dot or Mermaid."
    )

    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var profile: ProfileOptions

    @Flag(help: "Graphviz dot (render with `dot -Tsvg`).")
    var dot = false

    @Flag(help: "Mermaid flowchart (renders on GitHub).")
    var mermaid = false

    func validate() throws {
        if dot && mermaid { throw ValidationError("choose one of --dot and --mermaid") }
    }

    func run() throws {
        let pipeline = try options.value.resolve(profile: profile.profile)
        if dot {
            Console.out("digraph pipeline {")
            Console.out("  rankdir=LR;")
            for stage in pipeline.stages {
                Console.out("  \"\(stage.name)\";")
                for dep in stage.dependencies { Console.out("  \"\(dep)\" -> \"\(stage.name)\";") }
            }
            Console.out("}")
        } else if mermaid {
            Console.out("flowchart LR")
            for stage in pipeline.stages {
                Console.out("  \(Dag.mermaidID(stage.name))[\"\(stage.name)\"]")
                for dep in stage.dependencies { Console.out("  \(Dag.mermaidID(dep)) --> \(Dag.mermaidID(stage.name))") }
            }
        } else {
            for stage in pipeline.stages {
                let uses = stage.stage.name == stage.name ? "" : " (uses \(stage.stage.name))"
                Console.out("\(stage.name)\(uses): \(stage.stage.summary)")
                for input in stage.inputs {
                    switch input.source {
                    case let .file(path, _, _): Console.out("  <- \(input.name): file \(path)")
                    case let .stage(dep): Console.out("  <- \(input.name): stage \(dep)")
                    }
                }
            }
        }
    }

    static func mermaidID(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
