import Foundation

/// Saving and loading a GPT as safetensors: every parameter under its GPT-2 name, the config as
/// JSON in the metadata (`config`). Loading checks every name and shape and names the wrong one.
extension GPT {
    public enum LoadError: Error, CustomStringConvertible, Equatable {
        case missingConfig(String)
        case badConfig(String)
        case missing(String, String)
        case wrongShape(String, String, expected: [Int], found: [Int])
        case unexpected(String, String)

        public var description: String {
            switch self {
            case let .missingConfig(file): return "\(file): no model config in the metadata"
            case let .badConfig(why): return "bad model config: \(why)"
            case let .missing(file, name): return "\(file): parameter \(name) is missing"
            case let .wrongShape(file, name, expected, found): return "\(file): parameter \(name) has shape \(found), expected \(expected)"
            case let .unexpected(file, name): return "\(file): unexpected tensor \(name) for this model config"
            }
        }
    }

    /// The parameters and the config (and `metadata`) as safetensors: a copy of the current values.
    public func safeTensors(metadata: [String: String] = [:]) -> SafeTensors {
        safeTensors(metadata: metadata) { .init(floats: values(of: $0.name), shape: $0.shape) }
    }

    /// Writes the parameters straight from the model's buffer (no copy first).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try safeTensors(metadata: metadata) { .init(sharing: params, offset: $0.offset, count: $0.count, shape: $0.shape) }.write(url)
    }

    private func safeTensors(metadata: [String: String], tensor: (TensorSlot) -> SafeTensors.Tensor) -> SafeTensors {
        var file = SafeTensors(metadata: metadata)
        file.metadata["config"] = String(decoding: try! JSONEncoder.sorted.encode(config), as: UTF8.self)
        for slot in layout.slots { file.tensors[slot.name] = tensor(slot) }
        return file
    }

    /// A model from a checkpoint written by `save` (or by any tool using the same names).
    public static func load(from url: URL, seed: UInt64 = 0, dropout: Double? = nil,
                            allowing extra: (String) -> Bool = { _ in false }) throws -> GPT {
        let file = try SafeTensors.read(url)
        guard let text = file.metadata["config"] else { throw LoadError.missingConfig(url.lastPathComponent) }
        let config: GPTConfig
        do { config = try JSONDecoder().decode(GPTConfig.self, from: Data(text.utf8)) } catch {
            throw LoadError.badConfig("\(url.lastPathComponent): \(error)")
        }
        var adjusted = config
        if let dropout { adjusted.dropout = dropout }
        if let problem = adjusted.problem { throw LoadError.badConfig(problem) }
        let model = GPT(config: adjusted, seed: seed, initialize: false)
        try model.loadParameters(file, name: url.lastPathComponent, allowing: extra)
        return model
    }

    /// Copies every parameter from `file`, which must hold exactly this model's names and shapes.
    /// Tensors for which `extra` returns true (a classifier head, say) may be present too.
    public func loadParameters(_ file: SafeTensors, name: String = "checkpoint", prefix: String = "",
                               allowing extra: (String) -> Bool = { _ in false }) throws {
        for slot in layout.slots {
            guard let t = file.tensors[prefix + slot.name] else { throw LoadError.missing(name, slot.name) }
            guard t.shape == slot.shape, t.dtype == .f32 else {
                throw LoadError.wrongShape(name, slot.name, expected: slot.shape, found: t.shape)
            }
            t.data.withUnsafeBytes { raw in
                (params.pointer + slot.offset).update(from: raw.bindMemory(to: Float.self).baseAddress!, count: slot.count)
            }
        }
        if prefix.isEmpty, let unexpected = file.tensors.keys.sorted().first(where: { layout[$0] == nil && !extra($0) }) {
            throw LoadError.unexpected(name, unexpected)
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
