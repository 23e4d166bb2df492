import Foundation
import NN
import Testing

/// Compares the Swift GPT with PyTorch on fixtures made by tools/make_nn_fixtures.py.
@Suite("GPT against PyTorch fixtures")
struct PyTorchFixtureTests {
    static let variants = ["learned_untied", "learned_tied", "sinusoidal_untied", "sinusoidal_tied"]

    struct Fixture {
        let file: SafeTensors
        let model: GPT
        let tokens: [Int32]
        let targets: [Int32]
        let b: Int, t: Int

        init(_ variant: String) throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Resources/gpt_\(variant).safetensors")
            file = try SafeTensors.read(url)
            let config = try JSONDecoder().decode(GPTConfig.self, from: Data(file.metadata["config"]!.utf8))
            model = GPT(config: config, seed: 0)
            try model.loadParameters(file, name: url.lastPathComponent, prefix: "param.")
            let shape = file.tensors["input.tokens"]!.shape
            b = shape[0]; t = shape[1]
            tokens = file.tensors["input.tokens"]!.ints
            targets = file.tensors["input.targets"]!.ints
        }

        func expected(_ name: String) -> [Float] { file.tensors[name]!.floats }
    }

    /// max |a - b| / (max |b| + tiny): one number per tensor, robust to values near zero.
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 0
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return diff / max(scale, 1e-12)
    }

    @Test("logits and loss match within 1e-5 (relative)", arguments: variants)
    func forward(variant: String) throws {
        let f = try Fixture(variant)
        f.model.forward(tokens: f.tokens, b: f.b, t: f.t)
        #expect(relativeError(f.model.logits.array, f.expected("expected.logits")) < 1e-5)
        let loss = try #require(f.model.forward(tokens: f.tokens, targets: f.targets, b: f.b, t: f.t))
        #expect(abs(loss - f.expected("expected.loss")[0]) / f.expected("expected.loss")[0] < 1e-5)
    }

    @Test("every parameter gradient matches within 1e-4 (relative)", arguments: variants)
    func gradients(variant: String) throws {
        let f = try Fixture(variant)
        f.model.zeroGradients()
        f.model.forward(tokens: f.tokens, targets: f.targets, b: f.b, t: f.t)
        f.model.backward()
        for slot in f.model.layout.slots {
            let ours = Array(UnsafeBufferPointer(start: f.model.gradient(slot.name), count: slot.count))
            let error = relativeError(ours, f.expected("grad.\(slot.name)"))
            #expect(error < 1e-4, "gradient of \(slot.name): relative error \(error)")
        }
    }

    @Test("the losses of 10 AdamW steps with clipping match", arguments: variants)
    func adamWSteps(variant: String) throws {
        let f = try Fixture(variant)
        let settings = try JSONSerialization.jsonObject(with: Data(f.file.metadata["adamw"]!.utf8)) as! [String: Double]
        let optimizer = AdamW(layout: f.model.layout, settings: .init(
            beta1: Float(settings["beta1"]!), beta2: Float(settings["beta2"]!),
            epsilon: Float(settings["epsilon"]!), weightDecay: Float(settings["weight_decay"]!)))
        var losses: [Float] = []
        for _ in 0..<Int(settings["steps"]!) {
            f.model.zeroGradients()
            losses.append(f.model.forward(tokens: f.tokens, targets: f.targets, b: f.b, t: f.t)!)
            f.model.backward()
            clipGradientNorm(f.model.grads, maxNorm: Float(settings["clip"]!))
            optimizer.update(params: f.model.params, grads: f.model.grads, lr: Float(settings["lr"]!))
        }
        let expected = f.expected("expected.adamw_losses")
        for (step, (ours, theirs)) in zip(losses, expected).enumerated() {
            #expect(abs(ours - theirs) / theirs < 1e-4, "step \(step + 1): \(ours) vs \(theirs)")
        }
        #expect(losses.last! < losses.first! * 0.8)
    }
}
