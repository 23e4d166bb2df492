import Artifacts

/// The stages `pipeline` knows. The data, training, PPO and analysis stages register here as they
/// land (see pipeline.json for how they are wired).
public enum StandardStages {
    public static var all: [any Stage] { [] }

    public static var registry: StageRegistry { StageRegistry(all) }
}
