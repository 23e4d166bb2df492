"""The reference GPT in PyTorch, the same architecture and parameter names as Sources/NN/GPT.swift.
Used by tools/make_nn_fixtures.py (test fixtures) and bench/torch_train.py (speed reference)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, nh, f, eps):
        super().__init__()
        self.nh = nh
        self.ln_1 = nn.LayerNorm(c, eps=eps)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(c, 3 * c)
        self.attn.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c, eps=eps)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(c, f)
        self.mlp.c_proj = nn.Linear(f, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.nh)
        att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.attn.c_proj(y)
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["d_model"]
        self.wte = nn.Embedding(cfg["vocab_size"], c)
        if cfg["positions"] == "learned":
            self.wpe = nn.Embedding(cfg["context_length"], c)
        else:
            pos = torch.arange(cfg["context_length"], dtype=torch.float64)[:, None]
            i = torch.arange(0, c, 2, dtype=torch.float64)[None, :]
            angle = pos / torch.pow(10000.0, i / c)
            pe = torch.zeros(cfg["context_length"], c, dtype=torch.float64)
            pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
            self.register_buffer("pe", pe.float(), persistent=False)
        self.h = nn.ModuleList(Block(c, cfg["n_heads"], cfg["d_ff"], cfg["layer_norm_epsilon"]) for _ in range(cfg["n_layers"]))
        self.ln_f = nn.LayerNorm(c, eps=cfg["layer_norm_epsilon"])
        self.lm_head = nn.Linear(c, cfg["vocab_size"], bias=False)
        if cfg["tied_head"]:
            self.lm_head.weight = self.wte.weight
        self.positions = cfg["positions"]

    def forward(self, tokens):
        t = tokens.shape[1]
        pos = self.wpe.weight[:t] if self.positions == "learned" else self.pe[:t]
        x = self.wte(tokens) + pos
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))
