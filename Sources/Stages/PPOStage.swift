import Artifacts
import Foundation
import NN

/// ppo: RLHF. The policy starts as the pretrained model and learns, by PPO's clipped surrogate,
/// to write what the frozen reward model scores as happy (or, with `target: negative`, sad),
/// with a KL leash to the frozen original. Resumable after every iteration.
///
/// Output: `model.safetensors` (the final policy), `config.json`, `metrics.jsonl` (one line per
/// iteration), `run.json` (the reward normalisation and why the run stopped), and the policies for
/// the over-optimisation study: `checkpoints/index.json` plus `checkpoints/NNNN/model.safetensors`
/// and `samples.jsonl` (completions with their reward and KL) at iteration 0, each time sqrt(KL)
/// has grown by `checkpoint_every_sqrt_kl`, and at the end.
public struct PPOStage: Stage {
    public let name = "ppo"
    public let version = 1
    public let summary = "fine-tunes the language model with PPO towards the reward model's sentiment, leashed by KL"
    public let params = [
        ParamSpec("batch", .int, default: .int(64), help: "completions sampled per iteration"),
        ParamSpec("minibatch", .int, default: .int(16), help: "completions per gradient step"),
        ParamSpec("epochs_per_batch", .int, default: .int(4), help: "passes over each rollout batch, in shuffled minibatches"),
        ParamSpec("rollout_len", .int, default: .int(64), help: "tokens per completion, sampled from \"\\n\""),
        ParamSpec("temperature", .number, default: .double(1), help: "sampling temperature (no top-k: it would bias the KL)"),
        ParamSpec("target", .choice(["positive", "negative"]), default: .string("positive"),
                  help: "reward log p(happy), or log p(sad) for the comparison model"),
        ParamSpec("reward_norm", .choice(["fixed", "batch"]), default: .string("fixed"),
                  help: "normalise rewards by the original policy's mean and std (once), or per rollout batch (the seed)"),
        ParamSpec("norm_samples", .int, default: .int(2048), help: "completions of the original policy behind the fixed normalisation"),
        ParamSpec("beta", .number, default: .double(0.1), help: "KL penalty per token; 0 disables it"),
        ParamSpec("kl_penalty", .choice(["sampled", "exact"]), default: .string("sampled"),
                  help: "the KL the penalty charges: log p - log p_ref of the sampled token (the standard estimate), or, in the loss only (kl_in_loss), the exact KL over the whole vocabulary at each position, whose gradient pulls back every word's logit (the reference then reads each minibatch again)"),
        ParamSpec("kl_in_loss", .bool, default: .bool(false),
                  help: "put the KL penalty in the loss, with its gradient (the seed), instead of in the reward"),
        ParamSpec("baseline", .choice(["mean", "prefix"]), default: .string("mean"),
                  help: "what each token's reward is measured against: the normalisation's mean (the curriculum), or the reward model's reading of the completion up to that token (an estimate of the reward that keeps the gradient unbiased and makes it less noisy)"),
        ParamSpec("gae_lambda", .number, default: .double(1),
                  help: "with the prefix baseline: how much each later token's change to the expected reward counts towards a token's advantage (1: all of them, 0: its own)"),
        ParamSpec("whiten", .bool, default: .bool(false), help: "whiten the advantages of each batch"),
        ParamSpec("clip", .number, default: .double(0.2), help: "PPO's clipping range for the probability ratio"),
        ParamSpec("lr", .number, default: .double(1e-5), help: "Adam learning rate (at the start, with a decaying lr_schedule)"),
        ParamSpec("lr_schedule", .choice(["constant", "linear", "cosine"]), default: .string("constant"),
                  help: "the learning rate over the iterations: constant, or decayed from lr towards 0 at max_iterations, in a line (as lm-human-preferences) or along a cosine; decay lets the policy settle where the reward and the KL penalty balance instead of wandering on gradient noise"),
        ParamSpec("head_lr_scale", .number, default: .double(1),
                  help: "multiplies lr for the output head, the matrix through which the policy most directly shifts its choice of words"),
        ParamSpec("embedding_lr_scale", .number, default: .double(1),
                  help: "multiplies lr for the input token and position embeddings (when the head is tied to the token embedding, head_lr_scale rules that matrix); Adam keeps moving a word's row for many steps after the word was last sampled, a drift the reward never asked for"),
        ParamSpec("grad_clip", .number, default: .double(1)),
        ParamSpec("adam_epsilon", .number, default: .double(1e-8),
                  help: "Adam's epsilon; 1e-5 (as OpenAI's PPO) keeps the tiny gradients of rarely sampled tokens from moving their logits a full step"),
        ParamSpec("max_iterations", .int, default: .int(40)),
        ParamSpec("max_kl", .number, default: .double(10), help: "stop when KL(policy || original) reaches this many nats per completion"),
        ParamSpec("checkpoint_every_sqrt_kl", .number, default: .double(0.25),
                  help: "save the policy each time sqrt(KL) has grown this much since the last save"),
        ParamSpec("checkpoint_samples", .int, default: .int(32), help: "completions kept with each saved policy"),
    ]
    public let inputs = [InputSpec("pretrain", .stage, help: "the starting policy and the KL reference"),
                         InputSpec("reward", .stage, help: "the reward-train stage"),
                         InputSpec("tokens", .stage, help: "the tokenize stage (the \"\\n\" prompt, decoding samples)")]
    public let usesSeed = true

    public init() {}

    public func run(_ context: StageContext) throws {
        try PPORun(context).train()
    }
}
