#!/usr/bin/env python3
"""Writes the NN test fixtures: a tiny GPT in PyTorch, its weights, an input batch, the logits,
the loss, every parameter gradient after one backward, and the losses of 10 AdamW steps, for each
combination of positions (learned, sinusoidal) and head (untied, tied). Dropout is 0.

    python3 tools/make_nn_fixtures.py      # needs torch and safetensors; the Swift tests do not

Output: Tests/NNTests/Resources/gpt_<positions>_<head>.safetensors (tensors prefixed param.,
grad., input., expected.; the model config and optimiser settings in the metadata).
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from torch_gpt import GPT

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NNTests", "Resources")
B, T = 3, 8
CONFIG = dict(vocab_size=37, context_length=T, d_model=16, n_heads=2, n_layers=2, d_ff=48,
              dropout=0.0, layer_norm_epsilon=1e-5)
ADAMW = dict(lr=1e-2, beta1=0.9, beta2=0.98, epsilon=1e-9, weight_decay=0.1, clip=1.0, steps=10)


def named_params(model, cfg):
    """Parameters under the project's names; the tied head is only `wte.weight`."""
    out = {}
    for name, p in model.named_parameters():
        if cfg["tied_head"] and name == "lm_head.weight":
            continue
        out[name] = p
    return out


def make(positions, tied):
    torch.manual_seed(1234)
    cfg = dict(CONFIG, positions=positions, tied_head=tied)
    model = GPT(cfg)
    with torch.no_grad():  # non-trivial LayerNorm parameters so their gradients are tested
        for name, p in model.named_parameters():
            if "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    tokens = torch.randint(0, cfg["vocab_size"], (B, T))
    targets = torch.randint(0, cfg["vocab_size"], (B, T))
    targets[0, :3] = -100
    targets[2, 5] = -100

    tensors = {f"param.{n}": p.detach().clone() for n, p in named_params(model, cfg).items()}
    logits = model(tokens)
    loss = F.cross_entropy(logits.view(-1, cfg["vocab_size"]), targets.view(-1), ignore_index=-100)
    loss.backward()
    tensors["input.tokens"] = tokens.int()
    tensors["input.targets"] = targets.int()
    tensors["expected.logits"] = logits.detach()
    tensors["expected.loss"] = loss.detach().reshape(1)
    for n, p in named_params(model, cfg).items():
        tensors[f"grad.{n}"] = p.grad.detach().clone()

    params = list(named_params(model, cfg).values())
    decay = [p for p in params if p.dim() == 2]
    no_decay = [p for p in params if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ADAMW["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["epsilon"])
    losses = []
    for _ in range(ADAMW["steps"]):
        opt.zero_grad()
        logits = model(tokens)
        loss = F.cross_entropy(logits.view(-1, cfg["vocab_size"]), targets.view(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, ADAMW["clip"])
        opt.step()
        losses.append(loss.item())
    tensors["expected.adamw_losses"] = torch.tensor(losses, dtype=torch.float32)

    meta = {"config": json.dumps(cfg, sort_keys=True), "adamw": json.dumps(ADAMW, sort_keys=True),
            "torch": torch.__version__}
    path = os.path.join(OUT, f"gpt_{positions}_{'tied' if tied else 'untied'}.safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=meta)
    print(f"wrote {os.path.relpath(path)}: loss {loss.item():.6f}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for positions in ("learned", "sinusoidal"):
        for tied in (False, True):
            make(positions, tied)
