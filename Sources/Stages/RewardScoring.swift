import Artifacts
import Foundation

/// `pipeline score`: p(happy) under the locked reward model, for texts or a labels file.
public enum RewardScoring {
    public struct Scores: Sendable {
        public let probabilities: [Float]
        /// Sentiments from a labels file, in input order (nil where a line carries none).
        public let sentiments: [String?]

        /// Accuracy on the happy and sad lines (p > 0.5 means happy), and how many there were.
        public var accuracy: (value: Float, labelled: Int)? {
            RewardEvaluation.accuracy(sentiments: sentiments, probabilities: probabilities)
        }
    }

    /// Scores `texts`.
    public static func score(texts: [String], workspace: Workspace, pipeline: ResolvedPipeline, stage: String) throws -> Scores {
        try withModel(workspace: workspace, pipeline: pipeline, stage: stage) { files, model in
            Scores(probabilities: model.probabilities(texts.map(files.encode)), sentiments: texts.map { _ in nil })
        }
    }

    /// Scores every line of a labels file (label-import's forms; `sentiment` optional), in order.
    public static func score(file: URL, workspace: Workspace, pipeline: ResolvedPipeline, stage: String) throws -> Scores {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw PipelineError.badInput("cannot read \(file.path)")
        }
        return try withModel(workspace: workspace, pipeline: pipeline, stage: stage) { files, model in
            let works = try JSON.parse(Data(contentsOf: files.tokens.appendingPathComponent("works.json")))
            let corpus = try Data(contentsOf: files.tokens.appendingPathComponent("corpus.txt"))
            let examples = try LabelImportStage.parse(data, file: file.lastPathComponent, corpus: corpus, works: works,
                                                      sentimentRequired: false, consequence: "nothing was scored")
            return Scores(probabilities: model.probabilities(examples.map { files.encode($0.text) }), sentiments: examples.map(\.sentiment))
        }
    }

    static func withModel(workspace: Workspace, pipeline: ResolvedPipeline, stage: String,
                          _ body: (LockedModel, RewardModel) throws -> Scores) throws -> Scores {
        let files = try LockedModel(workspace: workspace, pipeline: pipeline, stage: stage)
        defer { files.close() }
        let model: RewardModel
        do { model = try RewardModel(file: files.folder.appendingPathComponent("model.safetensors")) } catch {
            throw PipelineError.badInput("stage '\(stage)' holds no reward model (\(error))")
        }
        return try body(files, model)
    }
}
