#!/usr/bin/env python3
"""The seed's PPO iteration in PyTorch, for bench/ppo.sh: sampling without a KV cache (every new
token re-runs the model over the whole prefix, as the seed does), then the log-probabilities of
the policy and the reference, the reward model on the completions, and 4 passes of clipped
updates in minibatches of 32 with the KL in the loss. The seed's model, 128 completions of 64
tokens, eager float32 on the same number of threads as the Swift run. Prints one JSON line.

    python3 bench/torch_ppo.py [--iterations N] [--threads N]
"""
import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from torch_gpt import GPT  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--iterations", type=int, default=3)
parser.add_argument("--threads", type=int, default=os.cpu_count())
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

cfg = dict(vocab_size=29208, context_length=128, d_model=512, n_heads=8, n_layers=8, d_ff=2048,
           positions="sinusoidal", tied_head=False, layer_norm_epsilon=1e-5)
batch, length, minibatch, passes, clip, beta = 128, 64, 32, 4, 0.2, 0.1
policy, reward_body = GPT(cfg), GPT(cfg)
reference = copy.deepcopy(policy)
score = torch.nn.Linear(cfg["d_model"], 2)
opt = torch.optim.Adam(policy.parameters(), lr=1e-5)


def hidden(model, tokens):
    t = tokens.shape[1]
    x = model.wte(tokens) + model.pe[:t]
    for block in model.h:
        x = block(x)
    return model.ln_f(x)


def token_logprobs(model, inputs, actions):
    return F.log_softmax(model(inputs), -1).gather(-1, actions[..., None])[..., 0]


best_seconds, best_rate = float("inf"), 0.0
for iteration in range(args.iterations):
    start = time.time()
    with torch.no_grad():
        tokens = torch.ones(batch, 1, dtype=torch.long)   # the "\n" prompt
        for _ in range(length):
            probs = F.softmax(policy(tokens)[:, -1, :], -1)
            tokens = torch.cat([tokens, torch.multinomial(probs, 1)], 1)
        sampling = time.time() - start
        inputs, actions = tokens[:, :-1], tokens[:, 1:]
        old = token_logprobs(policy, inputs, actions)
        ref = token_logprobs(reference, inputs, actions)
        z = score(hidden(reward_body, actions)[:, -1])
        rewards = F.logsigmoid(z[:, 1] - z[:, 0])
        advantages = ((rewards - rewards.mean()) / (rewards.std() + 1e-8))[:, None].expand(-1, length)
    for _ in range(passes):
        order = torch.randperm(batch)
        for i in range(0, batch, minibatch):
            rows = order[i:i + minibatch]
            logp = token_logprobs(policy, inputs[rows], actions[rows])
            ratio = torch.exp(logp - old[rows])
            a = advantages[rows]
            loss = -torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a).mean() + beta * (logp - ref[rows]).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
    best_seconds = min(best_seconds, time.time() - start)
    best_rate = max(best_rate, batch * length / sampling)

print(json.dumps({"seconds_per_iteration": best_seconds, "sampling_tokens_per_s": best_rate, "torch": torch.__version__}))
