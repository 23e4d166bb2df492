#!/usr/bin/env python3
"""The pretraining reference point of the training issue, on this project's own data: a PyTorch
GPT of d_model 256, 4 layers, 4 heads, d_ff 1024, learned positions, untied head,
AdamW lr 1e-3 (weight decay 0.1 on matrices, betas 0.9/0.99) with 5% warmup and cosine decay to
1e-4, batch 32 x 128, gradient clipping at 1, dropout 0.1 on the residual branches, trained for a fixed wall-clock budget on the split
stage's training sequences, then scored on all of its validation sequences (mean cross-entropy in
nats per token). Prints one JSON line.

    python3 bench/torch_pretrain_reference.py SPLIT_DIR [--minutes 12] [--threads N]

SPLIT_DIR is a checked-out split artifact (`pipeline checkout split DIR`): train.bin and valid.bin
hold little-endian UInt32 ids in sequences of 129. The cosine runs over the steps that fit in the
budget, measured from the first steps.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from torch_gpt import GPT  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("split")
parser.add_argument("--minutes", type=float, default=12)
parser.add_argument("--threads", type=int, default=os.cpu_count())
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

train = torch.from_numpy(np.fromfile(os.path.join(args.split, "train.bin"), dtype="<u4").astype(np.int64)).view(-1, 129)
valid = torch.from_numpy(np.fromfile(os.path.join(args.split, "valid.bin"), dtype="<u4").astype(np.int64)).view(-1, 129)
vocab = int(max(train.max(), valid.max())) + 1
cfg = dict(vocab_size=vocab, context_length=128, d_model=256, n_heads=4, n_layers=4, d_ff=1024,
           positions="learned", tied_head=False, layer_norm_epsilon=1e-5)
model = GPT(cfg)
for block in model.h:   # dropout 0.1 on the residual branches
    for branch in (block.attn.c_proj, block.mlp.c_proj):
        branch.register_forward_hook(lambda m, i, o: F.dropout(o, 0.1, m.training))
params = list(model.parameters())
opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() == 2], "weight_decay": 0.1},
                         {"params": [p for p in params if p.dim() != 2], "weight_decay": 0.0}],
                        lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
batch, budget = 32, args.minutes * 60
order = torch.randperm(len(train))


def lr_at(step, total):
    warmup = max(1, int(0.05 * total))
    if step <= warmup:
        return 1e-3 * step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 1e-4 + (1e-3 - 1e-4) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


start = time.time()
step, total = 0, None
model.train()
while True:
    elapsed = time.time() - start
    if step == 20:
        total = int(budget / (elapsed / 20))   # steps that fit, from the first 20
    if elapsed >= budget or (total and step >= total):
        break
    rows = order[(step * batch) % len(train):][:batch]
    if len(rows) < batch:
        rows = torch.cat([rows, order[:batch - len(rows)]])
    x = train[rows]
    step += 1
    for group in opt.param_groups:
        group["lr"] = lr_at(step, total or int(budget / 1.5))
    loss = F.cross_entropy(model(x[:, :-1]).reshape(-1, vocab), x[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
train_seconds = time.time() - start

model.eval()
total_loss, count = 0.0, 0
with torch.no_grad():
    for i in range(0, len(valid), 64):
        x = valid[i:i + 64]
        total_loss += F.cross_entropy(model(x[:, :-1]).reshape(-1, vocab), x[:, 1:].reshape(-1), reduction="sum").item()
        count += x[:, 1:].numel()
print(json.dumps({"minutes": args.minutes, "steps": step, "epochs": step * batch / len(train), "train_seconds": train_seconds,
                  "tokens_per_s": step * batch * 128 / train_seconds, "valid_loss": total_loss / count, "torch": torch.__version__}))
