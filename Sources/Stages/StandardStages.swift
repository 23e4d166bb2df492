import Artifacts

/// The stages `pipeline` knows (see pipeline.json for how they are wired). The training, PPO
/// and analysis stages register here as they land.
public enum StandardStages {
    public static var all: [any Stage] { [TokenizeStage(), SplitStage(), LabelImportStage(), PretrainStage(), RewardTrainStage(), PPOStage(), OveroptAnalyzeStage()] }

    public static var registry: StageRegistry { StageRegistry(all) }
}
