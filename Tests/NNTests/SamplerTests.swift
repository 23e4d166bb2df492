import Foundation
import NN
import Testing

@Suite("Sampling with a KV cache")
struct SamplerTests {
    let config = GPTConfig(vocabSize: 23, contextLength: 12, dModel: 16, nHeads: 4, nLayers: 2, dFF: 32,
                           positions: .sinusoidal, tiedHead: false)

    @Test("KV-cached logits equal full-recompute logits at every position")
    func cacheMatchesRecompute() {
        let model = GPT(config: config, seed: 3)
        let b = 2
        var rng = Xoshiro256(seed: 9)
        let sequences = (0..<b).map { _ in (0..<config.contextLength).map { _ in Int32(rng.next() % 23) } }
        let sampler = Sampler(model: model, batch: b)
        for pos in 0..<config.contextLength {
            sampler.feed(sequences.map { $0[pos] })
            let t = pos + 1
            model.forward(tokens: sequences.flatMap { $0.prefix(t) }, b: b, t: t)
            for bi in 0..<b {
                let full = (0..<23).map { model.logits[(bi * t + pos) * 23 + $0] }
                let cached = (0..<23).map { sampler.logits[bi * 23 + $0] }
                let error = zip(full, cached).map { abs($0 - $1) }.max()!
                #expect(error < 1e-5, "position \(pos), row \(bi): \(error)")
            }
        }
    }

    @Test("samples come with their log-probabilities at the temperature, and repeat with the seed")
    func logProbabilities() {
        let model = GPT(config: config, seed: 4)
        let sampler = Sampler(model: model, batch: 3)
        var rng = Xoshiro256(seed: 1)
        let (tokens, logProbs) = sampler.generate(prompt: [0], steps: 6, temperature: 0.7, rng: &rng)
        var again = Xoshiro256(seed: 1)
        #expect(sampler.generate(prompt: [0], steps: 6, temperature: 0.7, rng: &again).tokens == tokens)

        // Recompute every log-probability with a full forward.
        let sequences = tokens.map { [Int32(0)] + $0 }
        model.forward(tokens: sequences.flatMap { $0.prefix(6) }, b: 3, t: 6)
        for b in 0..<3 {
            for step in 0..<6 {
                let z = (0..<23).map { Double(model.logits[(b * 6 + step) * 23 + $0]) / 0.7 }
                let lse = log(z.map { exp($0 - z.max()!) }.reduce(0, +)) + z.max()!
                let expected = z[Int(tokens[b][step])] - lse
                #expect(abs(Double(logProbs[b][step]) - expected) < 1e-4)
            }
        }
    }

    @Test("pure sampling draws by inverse CDF in id order, one uniform per sequence in order")
    func inverseCDF() {
        let model = GPT(config: config, seed: 6)
        let sampler = Sampler(model: model, batch: 64)
        var rng = Xoshiro256(seed: 3), copy = rng
        let (tokens, _) = sampler.generate(prompt: [2], steps: 1, temperature: 0.8, topK: nil, rng: &rng)
        // Every sequence saw the same prompt: the same distribution, 64 different uniforms.
        let z = (0..<23).map { Double(sampler.logits[$0]) / 0.8 }
        let weights = z.map { exp($0 - z.max()!) }
        let total = weights.reduce(0, +)
        for row in 0..<64 {
            let u = copy.nextUniformDouble()
            var acc = 0.0, expected = 22
            for (j, w) in weights.enumerated() { acc += w / total; if acc > u { expected = j; break } }
            #expect(tokens[row][0] == Int32(expected), "row \(row), u \(u)")
        }
        #expect(Set(tokens.map { $0[0] }).count > 3)
    }

    @Test("top-k keeps to the k most likely tokens")
    func topK() {
        let model = GPT(config: config, seed: 5)
        let sampler = Sampler(model: model, batch: 4)
        var rng = Xoshiro256(seed: 2)
        sampler.feed([1, 1, 1, 1])
        let z = (0..<23).map { sampler.logits[$0] }
        let top3 = Set((0..<23).sorted { z[$0] > z[$1] }.prefix(3).map(Int32.init))
        let (tokens, _) = sampler.generate(prompt: [1], steps: 1, temperature: 1, topK: 3, rng: &rng)
        #expect(tokens.allSatisfy { top3.contains($0[0]) })
    }
}
