/// The shape of a decoder-only, pre-LayerNorm transformer. Codable with snake_case keys, so it
/// reads and writes the `config.json` next to a checkpoint and the safetensors metadata.
public struct GPTConfig: Codable, Equatable, Sendable {
    public enum Positions: String, Codable, Sendable {
        /// Fixed sin/cos table of "Attention Is All You Need" (the seed's model); not a parameter.
        case sinusoidal
        /// A learned (context, d_model) table, `wpe`.
        case learned
    }

    /// Number of token ids (the tokenizer's vocabulary, `[UNK]` included).
    public var vocabSize: Int
    /// Longest sequence the model sees (T).
    public var contextLength: Int
    /// Width of the residual stream (C).
    public var dModel: Int
    public var nHeads: Int
    public var nLayers: Int
    /// Hidden width of the MLP (usually 4 * d_model).
    public var dFF: Int
    /// Dropout probability on embeddings, attention weights and residual branches; 0 disables it.
    public var dropout: Double
    public var positions: Positions
    /// Whether the output head shares the token-embedding matrix.
    public var tiedHead: Bool
    public var layerNormEpsilon: Double

    public init(vocabSize: Int, contextLength: Int, dModel: Int, nHeads: Int, nLayers: Int, dFF: Int,
                dropout: Double = 0, positions: Positions = .learned, tiedHead: Bool = false,
                layerNormEpsilon: Double = 1e-5) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.dModel = dModel
        self.nHeads = nHeads
        self.nLayers = nLayers
        self.dFF = dFF
        self.dropout = dropout
        self.positions = positions
        self.tiedHead = tiedHead
        self.layerNormEpsilon = layerNormEpsilon
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case contextLength = "context_length"
        case dModel = "d_model"
        case nHeads = "n_heads"
        case nLayers = "n_layers"
        case dFF = "d_ff"
        case dropout
        case positions
        case tiedHead = "tied_head"
        case layerNormEpsilon = "layer_norm_epsilon"
    }

    public var headSize: Int { dModel / nHeads }

    /// Matrix-product FLOPs of one position's forward pass through the blocks, attending over `t`
    /// positions as the kernels do (full T x T products per head). A backward pass costs twice this.
    public func bodyFLOPsPerPosition(t: Int) -> Double {
        let c = Double(dModel), f = Double(dFF), l = Double(nLayers)
        return 2 * l * (3 * c * c + c * c + 2 * c * f) + l * 2 * 2 * Double(t) * c
    }

    /// Matrix-product FLOPs of one position's logits (the output head).
    public var headFLOPsPerPosition: Double { 2 * Double(dModel) * Double(vocabSize) }

    /// Why the config cannot describe a model, or nil.
    public var problem: String? {
        if vocabSize < 1 || contextLength < 1 || dModel < 1 || nHeads < 1 || nLayers < 1 || dFF < 1 {
            return "every size must be at least 1"
        }
        if dModel % nHeads != 0 { return "d_model (\(dModel)) must be a multiple of n_heads (\(nHeads))" }
        if positions == .sinusoidal && dModel % 2 != 0 { return "sinusoidal positions need an even d_model" }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1)" }
        return nil
    }
}
