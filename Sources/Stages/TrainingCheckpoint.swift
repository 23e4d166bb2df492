import Artifacts
import Foundation
import NN

/// Everything a training loop needs to continue exactly where it stopped: weights, optimiser
/// moments, the best weights so far, generator states and the loop position, plus the metrics and
/// samples written so far. Saved atomically in the stage's work folder (never in the artifact).
struct TrainingCheckpoint {
    /// Saving writes these buffers as they are (no copy); pass the model's and optimiser's own.
    var params: FloatBuffer
    /// The best weights so far, for loops that keep the best (nil otherwise).
    var best: FloatBuffer?
    var m: FloatBuffer
    var v: FloatBuffer
    /// Loop position and bookkeeping, as JSON (step, epoch, position, rng states, best loss...).
    var state: JSON
    var metrics: String
    var samples: String

    static func url(in work: URL) -> URL { work.appendingPathComponent("checkpoint.safetensors") }

    func save(in work: URL) throws {
        var file = SafeTensors(metadata: ["state": state.canonical, "metrics": metrics, "samples": samples])
        file.tensors["params"] = .init(sharing: params, shape: [params.count])
        if let best { file.tensors["best"] = .init(sharing: best, shape: [best.count]) }
        file.tensors["adam.m"] = .init(sharing: m, shape: [m.count])
        file.tensors["adam.v"] = .init(sharing: v, shape: [v.count])
        let tmp = work.appendingPathComponent("checkpoint.tmp")
        try file.write(tmp)
        try FileSystem.rename(tmp, to: TrainingCheckpoint.url(in: work))
    }

    static func load(in work: URL) throws -> TrainingCheckpoint? {
        let url = TrainingCheckpoint.url(in: work)
        guard FileSystem.exists(url) else { return nil }
        let file = try SafeTensors.read(url)
        guard let state = file.metadata["state"].flatMap({ try? JSON.parse($0) }),
              let params = file.tensors["params"],
              let m = file.tensors["adam.m"], let v = file.tensors["adam.v"], m.count == params.count, v.count == params.count,
              (file.tensors["best"]?.count ?? params.count) == params.count else {
            throw PipelineError.failed("\(url.path) is not a training checkpoint; delete it to start afresh")
        }
        return TrainingCheckpoint(params: FloatBuffer(params.floats), best: file.tensors["best"].map { FloatBuffer($0.floats) },
                                  m: FloatBuffer(m.floats), v: FloatBuffer(v.floats), state: state,
                                  metrics: file.metadata["metrics"] ?? "", samples: file.metadata["samples"] ?? "")
    }
}

extension Xoshiro256 {
    var json: JSON { .array([state.0, state.1, state.2, state.3].map { .string(String($0)) }) }

    init?(json: JSON?) {
        guard let items = json?.arrayValue, items.count == 4 else { return nil }
        let values = items.compactMap { $0.stringValue.flatMap { UInt64($0) } }
        guard values.count == 4 else { return nil }
        self.init(state: (values[0], values[1], values[2], values[3]))
    }
}
