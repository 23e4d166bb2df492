import Foundation
import NN
import Testing

@Suite("safetensors checkpoints")
struct SafeTensorsTests {
    let config = GPTConfig(vocabSize: 13, contextLength: 6, dModel: 8, nHeads: 2, nLayers: 1, dFF: 16,
                           dropout: 0.1, positions: .learned, tiedHead: false)

    func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors")
    }

    @Test("a saved model loads back identical, with its config, under GPT-2 names")
    func roundTrip() throws {
        let model = GPT(config: config, seed: 5)
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: ["stage": "pretrain"])
        let loaded = try GPT.load(from: url)
        #expect(loaded.config == config)
        #expect(loaded.params.array == model.params.array)

        let file = try SafeTensors.read(url)
        #expect(file.metadata["stage"] == "pretrain")
        #expect(file.tensors.keys.sorted() == [
            "h.0.attn.c_attn.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_proj.bias", "h.0.attn.c_proj.weight",
            "h.0.ln_1.bias", "h.0.ln_1.weight", "h.0.ln_2.bias", "h.0.ln_2.weight",
            "h.0.mlp.c_fc.bias", "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.bias", "h.0.mlp.c_proj.weight",
            "lm_head.weight", "ln_f.bias", "ln_f.weight", "wpe.weight", "wte.weight",
        ])
        #expect(file.tensors["h.0.attn.c_attn.weight"]?.shape == [24, 8])
        // Writing is deterministic.
        let again = temporaryFile()
        defer { try? FileManager.default.removeItem(at: again) }
        try model.save(to: again, metadata: ["stage": "pretrain"])
        #expect(try Data(contentsOf: url) == Data(contentsOf: again))
    }

    @Test("loading names the missing, misshapen or unexpected tensor")
    func loadErrors() throws {
        let model = GPT(config: config, seed: 5)
        var file = model.safeTensors()

        var missing = file
        missing.tensors["h.0.mlp.c_fc.bias"] = nil
        #expect(throws: GPT.LoadError.missing("ckpt", "h.0.mlp.c_fc.bias")) { try model.loadParameters(missing, name: "ckpt") }

        var misshapen = file
        misshapen.tensors["ln_f.weight"] = .init(floats: [Float](repeating: 1, count: 9), shape: [9])
        #expect(throws: GPT.LoadError.wrongShape("ckpt", "ln_f.weight", expected: [8], found: [9])) { try model.loadParameters(misshapen, name: "ckpt") }

        file.tensors["score.weight"] = .init(floats: [0, 0], shape: [2, 1])
        #expect(throws: GPT.LoadError.unexpected("ckpt", "score.weight")) { try model.loadParameters(file, name: "ckpt") }
        #expect(GPT.LoadError.wrongShape("ckpt", "ln_f.weight", expected: [8], found: [9]).description == "ckpt: parameter ln_f.weight has shape [9], expected [8]")
    }

    @Test("a truncated file is refused with a reason")
    func truncated() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try GPT(config: config, seed: 1).save(to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
        #expect(throws: SafeTensors.Failure.self) { try SafeTensors.read(url) }
    }
}
