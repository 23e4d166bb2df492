/// One named tensor inside a flat buffer.
public struct TensorSlot: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    /// Matrices (2-D weights) get weight decay; vectors (biases, LayerNorm gains) do not.
    public var isMatrix: Bool { shape.count == 2 }
}

/// Where every parameter lives in one flat buffer, under GPT-2 names (weights stored (out, in),
/// as torch.nn.Linear does). Parameters, gradients and optimiser moments share this layout, so
/// AdamW and gradient clipping are single loops over the whole buffer.
public struct ParameterLayout: Sendable, Equatable {
    public let slots: [TensorSlot]
    public let count: Int
    private let index: [String: Int]

    public init(_ named: [(String, [Int])]) {
        var slots: [TensorSlot] = []
        var offset = 0
        for (name, shape) in named {
            slots.append(TensorSlot(name: name, shape: shape, offset: offset))
            // Keep every tensor 16-float aligned so SIMD loads never straddle two tensors.
            offset += (shape.reduce(1, *) + 15) / 16 * 16
        }
        self.slots = slots
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1.name, $0) })
    }

    public subscript(name: String) -> TensorSlot? { index[name].map { slots[$0] } }

    /// The transformer body and language-model head for `config`.
    public static func gpt(_ config: GPTConfig) -> ParameterLayout {
        let c = config.dModel, f = config.dFF, v = config.vocabSize
        var named: [(String, [Int])] = [("wte.weight", [v, c])]
        if config.positions == .learned { named.append(("wpe.weight", [config.contextLength, c])) }
        for l in 0..<config.nLayers {
            let p = "h.\(l)."
            named += [
                (p + "ln_1.weight", [c]), (p + "ln_1.bias", [c]),
                (p + "attn.c_attn.weight", [3 * c, c]), (p + "attn.c_attn.bias", [3 * c]),
                (p + "attn.c_proj.weight", [c, c]), (p + "attn.c_proj.bias", [c]),
                (p + "ln_2.weight", [c]), (p + "ln_2.bias", [c]),
                (p + "mlp.c_fc.weight", [f, c]), (p + "mlp.c_fc.bias", [f]),
                (p + "mlp.c_proj.weight", [c, f]), (p + "mlp.c_proj.bias", [c]),
            ]
        }
        named += [("ln_f.weight", [c]), ("ln_f.bias", [c])]
        if !config.tiedHead { named.append(("lm_head.weight", [v, c])) }
        return ParameterLayout(named)
    }

    /// Number of real values (without alignment padding).
    public var parameterCount: Int { slots.reduce(0) { $0 + $1.count } }
}
