#!/usr/bin/env python3
"""PyTorch reference for bench/nn-train.sh: the same model, batch and optimiser as nn-bench,
trained eagerly on the same number of threads, in float32 or with bf16 autocast (the linear
layers' products in bfloat16, as `--precision bfloat16` does on the Swift side). Prints one JSON
line.

    python3 bench/torch_train.py a|b [--steps N] [--threads N] [--precision float32|bfloat16]
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from torch_gpt import GPT  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("config", choices=["a", "b"])
parser.add_argument("--steps", type=int, default=5)
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--precision", choices=["float32", "bfloat16"], default="float32")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

vocab = 29208
if args.config == "b":
    cfg = dict(vocab_size=vocab, context_length=128, d_model=512, n_heads=8, n_layers=8, d_ff=2048,
               positions="sinusoidal", tied_head=False, layer_norm_epsilon=1e-5)
    batch = 64
else:
    cfg = dict(vocab_size=vocab, context_length=128, d_model=256, n_heads=4, n_layers=4, d_ff=1024,
               positions="learned", tied_head=False, layer_norm_epsilon=1e-5)
    batch = 32
model = GPT(cfg)
params = list(model.parameters())
opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() == 2], "weight_decay": 0.1},
                         {"params": [p for p in params if p.dim() != 2], "weight_decay": 0.0}],
                        lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
tokens = torch.randint(0, vocab, (batch, 128))
targets = torch.randint(0, vocab, (batch, 128))


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bfloat16"):
        logits = model(tokens)
    loss = F.cross_entropy(logits.float().view(-1, vocab), targets.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()


step()
start = time.perf_counter()
for _ in range(args.steps):
    step()
seconds = (time.perf_counter() - start) / args.steps
print(json.dumps({"config": args.config, "threads": args.threads, "torch": torch.__version__, "precision": args.precision,
                  "seconds_per_step": seconds, "train_tokens_per_s": batch * 128 / seconds,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, sort_keys=True))
