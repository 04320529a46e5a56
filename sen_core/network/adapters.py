"""Per-neuron adapters: a neuron's native tokens (B, N, D_i) -> at most ``budget`` tokens of the
state width D, the form every block integrates. Tokens are pooled before the projection (cheaper).

Frame layouts keep their frame structure (T frames x P tokens, P = budget // T); text keeps its
mask; class names become one token per class, shared by the batch.
"""
from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from ..neuron import Layout, Tokens, select_tokens

__all__ = ["reduce_tokens", "NeuronAdapter"]


def reduce_tokens(tokens: Tokens, budget: int) -> Tokens:
    """Pool ``tokens`` down to at most ``budget`` tokens, keeping the layout meaningful."""
    lay = tokens.layout
    if lay.num_tokens <= budget:
        return tokens
    x = tokens.x
    b, _, d = x.shape
    if lay.kind == "frames":
        t, p = lay.frames, lay.tokens_per_frame
        if t >= budget:  # too many frames: one token per frame, then pool time
            per = tokens.per_frame().mean(2)  # (B, T, D)
            if t > budget:
                per = F.adaptive_avg_pool1d(per.transpose(1, 2), budget).transpose(1, 2)
            return Tokens(per, Layout("frames", frames=per.shape[1], tokens_per_frame=1))
        keep = budget // t
        flat = x.reshape(b * t, p, d)
        sel, tpf, grid, special = select_tokens(flat, special=lay.special_tokens, grid=lay.grid, mode=keep)
        return Tokens(sel.reshape(b, t * tpf, d), replace(lay, tokens_per_frame=tpf, grid=grid, special_tokens=special))
    # sequences: masked average pooling into `budget` chunks
    m = tokens.mask.to(x.dtype) if tokens.mask is not None else x.new_ones(b, x.shape[1])
    xs = F.adaptive_avg_pool1d((x * m.unsqueeze(-1)).transpose(1, 2), budget).transpose(1, 2)
    ms = F.adaptive_avg_pool1d(m.unsqueeze(1), budget).squeeze(1)  # (B, budget)
    x = xs / ms.clamp_min(1e-6).unsqueeze(-1)
    return Tokens(x, Layout("sequence", frames=1, tokens_per_frame=budget), mask=ms > 0)


class NeuronAdapter(nn.Module):
    """Reduce to the token budget, LayerNorm, project D_i -> D, add a learned neuron embedding."""

    def __init__(self, in_width: int, width: int, *, budget: int, per_class: bool = False) -> None:
        super().__init__()
        self.budget = budget
        self.per_class = per_class
        self.norm = nn.LayerNorm(in_width)
        self.proj = nn.Linear(in_width, width)
        self.embed = nn.Parameter(torch.zeros(width))  # tells the block which neuron a token came from

    def forward(self, tokens: Tokens, batch_size: int) -> Tokens:
        if self.per_class:  # class names (C, N, D_i) -> one token per class, shared: (B, C, D)
            x = self.proj(self.norm(tokens.pooled())) + self.embed
            c = x.shape[0]
            return Tokens(x.unsqueeze(0).expand(batch_size, c, -1), Layout("sequence", tokens_per_frame=c))
        red = reduce_tokens(tokens, self.budget)
        return Tokens(self.proj(self.norm(red.x)) + self.embed, red.layout, red.mask)

