import Artifacts

/// The stages `pipeline` knows (see pipeline.json for how they are wired).
public enum StandardStages {
    public static var all: [any Stage] { [TokenizeStage(), SplitStage(), LabelImportStage(), PretrainStage(), RewardTrainStage(), PPOStage(), OveroptAnalyzeStage(), EvalPackStage()] }

    public static var registry: StageRegistry { StageRegistry(all) }
}
