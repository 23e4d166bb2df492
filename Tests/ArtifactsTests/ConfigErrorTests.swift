import Artifacts
import Foundation
import Testing
import TestStages

/// Every kind of bad input gets one clear message, and nothing is written.
@Suite("Bad input")
struct ConfigErrorTests {
    func expectBadInput(config: String, profile: String = "default", set: [String] = [], _ message: String) throws {
        let ws = try ScratchWorkspace(config: config)
        #expect(throws: PipelineError.badInput(message)) { try ws.run(profile: profile, set: set) }
        #expect(!ws.exists("artifacts"))
        #expect(!ws.exists("pipeline.lock"))
    }

    let standard = ScratchWorkspace.standardConfig

    @Test("pipeline.json that is not JSON: line and column")
    func notJSON() throws {
        try expectBadInput(config: "{\n  \"stages\": {\n    \"a\": {\"uses\": \"source\",}\n  }\n}",
                           "pipeline.json:3:28: expected a quoted member name, found '}'")
    }

    @Test("an unknown stage")
    func unknownStage() throws {
        try expectBadInput(config: #"{"stages": {"x": {"uses": "sourse"}}}"#,
                           "pipeline.json: stage 'x' uses unknown stage 'sourse' (did you mean 'source'?); known stages: concat, noisy, shuffle, sleeper, source, transform")
    }

    @Test("an input naming an unknown stage, an unknown input, a missing input")
    func badInputs() throws {
        try expectBadInput(config: #"{"stages": {"t": {"uses": "transform", "inputs": {"text": {"stage": "nope"}}}}}"#,
                           "pipeline.json: stages.t.inputs.text: unknown stage 'nope'")
        try expectBadInput(config: #"{"stages": {"t": {"uses": "transform", "inputs": {"txt": {"stage": "t"}}}}}"#,
                           "pipeline.json: stages.t.inputs: unknown input 'txt' of stage 'transform' (did you mean 'text'?); it takes text")
        try expectBadInput(config: #"{"stages": {"t": {"uses": "transform"}}}"#,
                           "pipeline.json: stages.t.inputs: missing input 'text' (a stage's output)")
        try expectBadInput(config: #"{"stages": {"s": {"uses": "source", "inputs": {"text": {"stage": "s"}}}}}"#,
                           "pipeline.json: stages.s.inputs.text: must be a file ({\"file\": PATH})")
    }

    @Test("a cycle is printed in full")
    func cycle() throws {
        let config = #"""
        {"stages": {
          "a": {"uses": "transform", "inputs": {"text": {"stage": "c"}}},
          "b": {"uses": "transform", "inputs": {"text": {"stage": "a"}}},
          "c": {"uses": "transform", "inputs": {"text": {"stage": "b"}}}
        }}
        """#
        try expectBadInput(config: config, "pipeline.json: the stages form a cycle: a -> b -> c -> a")
    }

    @Test("an unknown param suggests the nearest name")
    func unknownParam() throws {
        try expectBadInput(config: standard.replacingOccurrences(of: #""params": {"repeat": 2}"#, with: #""params": {"repaet": 2}"#),
                           "pipeline.json: stages.src.params: unknown param 'repaet' of stage 'src' (did you mean 'repeat'?); its params are repeat, prefix")
    }

    @Test("a param of the wrong type")
    func wrongType() throws {
        try expectBadInput(config: standard.replacingOccurrences(of: #""params": {"repeat": 2}"#, with: #""params": {"repeat": "2"}"#),
                           "pipeline.json: stages.src.params: param 'src.repeat' must be an integer, got a string (\"2\")")
        try expectBadInput(config: standard.replacingOccurrences(of: #""params": {"mode": "lower"}"#, with: #""params": {"mode": "title"}"#),
                           "pipeline.json: stages.low.params: param 'low.mode' must be one of \"upper\", \"lower\", \"reverse\", got \"title\"")
        try expectBadInput(config: standard.replacingOccurrences(of: #""params": {"repeat": 2}"#, with: #""params": {"repeat": 2.5}"#),
                           "pipeline.json: stages.src.params: param 'src.repeat' must be an integer, got a number (2.5)")
    }

    @Test("unknown --set keys and bad --set values")
    func badSet() throws {
        try expectBadInput(config: standard, set: ["up.sufix=x"],
                           "--set up.sufix=x: unknown param 'sufix' of stage 'up' (did you mean 'suffix'?); its params are mode, suffix, scale, fail")
        try expectBadInput(config: standard, set: ["upp.suffix=x"],
                           "--set upp.suffix=x: unknown stage 'upp' (did you mean 'up'?); stages: src, up, low, both, mix")
        try expectBadInput(config: standard, set: ["src.repeat=many"],
                           "--set src.repeat=many: param 'src.repeat' must be an integer")
        try expectBadInput(config: standard, set: ["suffix"],
                           "--set suffix: expected STAGE.PARAM=VALUE, e.g. --set ppo.lr=1e-4")
    }

    @Test("an unknown profile lists the defined ones")
    func unknownProfile() throws {
        try expectBadInput(config: standard, profile: "tiyn",
                           "unknown profile 'tiyn' (did you mean 'tiny'?); pipeline.json defines: default, paper, tiny")
    }

    @Test("a profile overriding an unknown stage or param")
    func badProfile() throws {
        try expectBadInput(config: standard.replacingOccurrences(of: #""tiny": {"src": {"repeat": 1}}"#, with: #""tiny": {"sorc": {"repeat": 1}}"#),
                           profile: "tiny", "pipeline.json: profiles.tiny: unknown stage 'sorc' (did you mean 'src'?)")
    }

    @Test("a mistake in any profile is reported, whichever profile runs")
    func otherProfile() throws {
        try expectBadInput(config: standard.replacingOccurrences(of: #""paper": {}"#, with: #""paper": {"up": {"mode": 3}}"#),
                           "pipeline.json: profiles.paper.up: param 'up.mode' must be one of \"upper\", \"lower\", \"reverse\", got a number (3)")
    }

    @Test("a missing input file says which command fetches it")
    func missingFile() throws {
        let ws = try ScratchWorkspace()
        try FileManager.default.removeItem(at: ws.url("in.txt"))
        #expect(throws: PipelineError.badInput("stage 'src' input 'text': file in.txt not found; fetch it with `make corpus`")) { try ws.run() }
        #expect(!ws.exists("artifacts"))
    }

    @Test("a pinned input file with other content is refused")
    func pinnedFile() throws {
        let pin = String(repeating: "0", count: 64)
        let ws = try ScratchWorkspace(config: ScratchWorkspace.standardConfig.replacingOccurrences(
            of: #""file": "in.txt""#, with: #""file": "in.txt", "sha256": "\#(pin)""#))
        let actual = SHA256Hasher.hex("alpha\nBeta\ngamma\n")
        #expect(throws: PipelineError.badInput("stage 'src' input 'text': in.txt has SHA-256 \(actual) but pipeline.json pins \(pin); delete it and fetch it again with `make corpus`")) { try ws.run() }
    }

    @Test("a missing pipeline.json says where to run")
    func missingConfig() throws {
        let ws = try ScratchWorkspace()
        try FileManager.default.removeItem(at: ws.url("pipeline.json"))
        #expect(throws: PipelineError.badInput("\(ws.url("pipeline.json").path) not found: run in the folder that holds pipeline.json, or pass --workspace DIR")) {
            try ws.run()
        }
    }
}
