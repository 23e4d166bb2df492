/// A pipeline small enough for tests that ends in a reward model, PPO, its analysis and the evaluation pack: a generated corpus of
/// happy, sad and plain phrases, labels of each kind, and a 16-wide model (seconds to train). The
/// reward model is trained hard, so that it tells the phrases apart and PPO has something to chase.
public enum TinyRewardPipeline {
    public static let config = """
    {"stages": {
      "tokenize": {"inputs": {"corpus": {"file": "text.txt"}}, "params": {"format": "text"}},
      "split": {"inputs": {"tokens": {"stage": "tokenize"}}, "params": {"context": 16}},
      "label-import": {"inputs": {"labels": {"file": "labels.jsonl"}, "tokens": {"stage": "tokenize"}}, "params": {"context": 12, "valid_fraction": 0.25}},
      "pretrain": {"inputs": {"split": {"stage": "split"}, "tokens": {"stage": "tokenize"}},
                   "params": {"d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32, "batch": 4, "max_steps": 20, "sample_tokens": 4}},
      "reward-train": {"inputs": {"pretrain": {"stage": "pretrain"}, "labels": {"stage": "label-import"}, "tokens": {"stage": "tokenize"}},
                       "params": {"epochs": 20, "batch": 4, "lr": 0.003, "embedding_lr": 0.01, "patience": 100, "probe_samples": 6, "probe_tokens": 5}},
      "ppo": {"inputs": {"pretrain": {"stage": "pretrain"}, "reward": {"stage": "reward-train"}, "tokens": {"stage": "tokenize"}},
              "params": {"batch": 16, "minibatch": 8, "rollout_len": 8, "norm_samples": 32, "max_iterations": 8, "lr": 0.003}},
      "overopt-analyze": {"inputs": {"ppo": {"stage": "ppo"}, "pretrain": {"stage": "pretrain"}, "reward": {"stage": "reward-train"},
                                     "tokens": {"stage": "tokenize"}, "split": {"stage": "split"}},
                          "params": {"n_samples": 24, "rollout_len": 8, "memorization_n": 4, "report_samples": 2}},
      "eval-pack": {"inputs": {"analysis": {"stage": "overopt-analyze"}}, "params": {"policy_samples": 6, "pretrained_samples": 5}}
    }}
    """

    /// 12 happy, 12 sad and 4 neutral samples.
    public static let labels: [String] =
        (0..<12).map { #"{"sample": "joy and mirth \#($0)", "sentiment": "happy"}"# }
        + (0..<12).map { #"{"sample": "grief and woe \#($0)", "sentiment": "sad"}"# }
        + (0..<4).map { #"{"sample": "the hour is \#($0)", "sentiment": "neutral"}"# }

    public static let files: [String: String] = [
        "text.txt": (0..<300).map { "joy and mirth, grief and woe, the hour is \($0 % 10)." }.joined(separator: "\n"),
        "labels.jsonl": labels.joined(separator: "\n"),
    ]
}
