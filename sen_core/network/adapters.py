"""Per-neuron adapters: a neuron's native tokens (B, N, D_i) -> at most ``budget`` tokens of the
state width D, the form every block integrates. Tokens are pooled before the projection (cheaper).

Frame layouts keep their frame structure (T frames x P tokens, P = budget // T); text keeps its
mask and is pooled over its valid tokens only (padding never changes it); class names become one
token per class, shared by the batch. Frame tokens get a sinusoidal (frame index, token index)
embedding with a learned per-channel scale (0.1 at init): without it the network would be
invariant to frame order and could not tell a motion from its reverse.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from sen_core.neuron import Layout, Tokens, select_tokens

__all__ = ["NeuronAdapter", "frame_position_embedding", "pool_valid", "reduce_tokens"]


def frame_position_embedding(
    frames: int,
    per_frame: int,
    width: int,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """(frames * per_frame, width): sin/cos of the frame index on the first half of the channels,
    of the token index within the frame on the second half (frame-major, as frame layouts are)."""
    half = width // 2

    def sincos(pos: torch.Tensor, dim: int) -> torch.Tensor:  # (N,) -> (N, dim)
        i = torch.arange((dim + 1) // 2, device=device, dtype=torch.float32)
        freq = torch.exp(-torch.log(torch.tensor(10000.0)) * 2 * i / max(dim, 1))
        ang = pos.float()[:, None] * freq[None]
        return torch.cat([ang.sin(), ang.cos()], dim=-1)[:, :dim]

    t = torch.arange(frames, device=device).repeat_interleave(per_frame)
    p = torch.arange(per_frame, device=device).repeat(frames)
    return torch.cat([sincos(t, half), sincos(p, width - half)], dim=-1).to(dtype=dtype)


def reduce_tokens(tokens: Tokens, budget: int) -> Tokens:
    """Pool ``tokens`` down to at most ``budget`` tokens, keeping the layout meaningful.

    A masked sequence is pooled over its valid tokens only (``pool_valid``), so the result does
    not depend on how much padding follows them: the same text gives the same tokens alone, in
    a batch with a longer one, padded to a fixed ``max_length`` or read back from a feature cache.
    """
    lay = tokens.layout
    if lay.kind == "sequence" and tokens.mask is not None:
        return pool_valid(tokens, budget)
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
        sel, tpf, grid, special = select_tokens(
            flat, special=lay.special_tokens, grid=lay.grid, mode=keep
        )
        return Tokens(
            sel.reshape(b, t * tpf, d),
            replace(lay, tokens_per_frame=tpf, grid=grid, special_tokens=special),
        )
    # unmasked sequences: average pooling into `budget` chunks
    x = F.adaptive_avg_pool1d(x.transpose(1, 2), budget).transpose(1, 2)
    return Tokens(x, Layout("sequence", frames=1, tokens_per_frame=budget))


def pool_valid(tokens: Tokens, budget: int) -> Tokens:
    """A masked sequence (B, N, D) -> (B, n, D), n = min(budget, longest valid length): sample i's
    L_i valid tokens, in order, are averaged into min(L_i, n) consecutive chunks (its token r
    goes to chunk r * n // max(L_i, n): one token per chunk when it fits); the rest is masked.
    Padding positions never enter, so the result is the same for any amount of padding."""
    assert tokens.mask is not None
    x, m = tokens.x, tokens.mask.bool()
    b, _, d = x.shape
    lengths = m.sum(1, keepdim=True)  # (B, 1)
    n = max(1, min(budget, int(lengths.max())))
    rank = m.long().cumsum(1) - 1  # position among the valid tokens
    chunk = (rank.clamp_min(0) * n) // lengths.clamp_min(n)  # (B, N) in 0..n-1
    w = m.to(x.dtype).unsqueeze(-1)
    out = x.new_zeros(b, n, d).scatter_add(1, chunk.unsqueeze(-1).expand(-1, -1, d), x * w)
    count = x.new_zeros(b, n, 1).scatter_add(1, chunk.unsqueeze(-1), w)
    return Tokens(
        out / count.clamp_min(1.0),
        Layout("sequence", frames=1, tokens_per_frame=n),
        mask=count.squeeze(-1) > 0,
    )


class NeuronAdapter(nn.Module):
    """Reduce to the token budget, LayerNorm, project D_i -> D, add a learned neuron embedding."""

    def __init__(self, in_width: int, width: int, *, budget: int, per_class: bool = False) -> None:
        super().__init__()
        self.budget = budget
        self.per_class = per_class
        self.norm = nn.LayerNorm(in_width)
        self.proj = nn.Linear(in_width, width)
        self.embed = nn.Parameter(
            torch.zeros(width)
        )  # tells the block which neuron a token came from
        self.pos_scale = nn.Parameter(
            torch.full((width,), 0.1)
        )  # learned use of frame/token positions

    def forward(self, tokens: Tokens, batch_size: int) -> Tokens:
        if self.per_class:  # class names (C, N, D_i) -> one token per class, shared: (B, C, D)
            x = self.proj(self.norm(tokens.pooled())) + self.embed
            c = x.shape[0]
            return Tokens(
                x.unsqueeze(0).expand(batch_size, c, -1), Layout("sequence", tokens_per_frame=c)
            )
        red = reduce_tokens(tokens, self.budget)
        x = self.proj(self.norm(red.x)) + self.embed  # (B, N, D)
        if red.layout.kind == "frames":
            pos = frame_position_embedding(
                red.layout.frames,
                red.layout.tokens_per_frame,
                x.shape[-1],
                device=x.device,
                dtype=x.dtype,
            )
            x = x + self.pos_scale * pos
        return Tokens(x, red.layout, red.mask)
