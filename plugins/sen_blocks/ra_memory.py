"""``sen/ra-memory@1``: RA with memory tokens carried across the recursive steps.

Source: Yasarla et al. 2023, "MAMo: Leveraging Memory and Attention for Monocular Video Depth
Estimation" (arXiv 2307.14336): a bounded memory of tokens, refreshed with the most relevant new
tokens, read through self-attention over the memory then cross-attention into the current features.
Here, after each integration: W write tokens summarise the state; memory + writes self-attend; a
relevance score keeps the best M of them (the bounded memory); the state reads the memory by
cross-attention with log-relevance as an attention prior (so the scorer is trained).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.network import CrossAttention, SelfAttention, StepContext
from sen_core.neuron import Tokens

from .ra_cross import CrossRA

__all__ = ["MemoryRA"]


class _MemoryUpdate(nn.Module):
    def __init__(self, width: int, heads: int, memory_tokens: int, write_tokens: int) -> None:
        super().__init__()
        self.memory_tokens = memory_tokens
        self.write_queries = nn.Parameter(torch.randn(write_tokens, width) * 0.02)
        self.norm_state = nn.LayerNorm(width)
        self.write = CrossAttention(width, heads)
        self.norm_mem = nn.LayerNorm(width)
        self.self_attn = SelfAttention(width, heads)
        self.score = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 1))
        self.read_norm = nn.LayerNorm(width)
        self.read = CrossAttention(width, heads)

    def forward(self, z: Tensor, memory: Tensor) -> tuple[Tensor, Tensor]:
        w = self.write_queries.unsqueeze(0).expand(z.shape[0], -1, -1)  # (B, W, D)
        writes = w + self.write(w, self.norm_state(z))
        cand = torch.cat([memory, writes], dim=1)  # (B, M + W, D)
        cand = cand + self.self_attn(self.norm_mem(cand))
        score = self.score(cand).squeeze(-1)  # (B, M + W) relevance
        idx = (
            score.topk(self.memory_tokens, dim=1).indices.sort(dim=1).values
        )  # bounded: keep the best M
        memory = cand.gather(1, idx.unsqueeze(-1).expand(-1, -1, cand.shape[-1]))
        prior = F.logsigmoid(score.gather(1, idx))  # (B, M): relevant memories are read more
        read = self.read(self.read_norm(z), memory, prior)
        return z + read, memory


class MemoryRA(CrossRA):
    """RA + a bounded memory (``memory_tokens``) updated by ``write_tokens`` per step."""

    def __init__(
        self,
        spec,
        *,
        width: int,
        neurons,
        anchor: str,
        depth: int,
        share_weights: bool = True,
        attn_heads: int = 4,
        prompt_tokens: int = 4,
        ffn_mult: int = 2,
        zero_init_steps: bool = True,
        memory_tokens: int = 8,
        write_tokens: int = 4,
    ) -> None:
        super().__init__(
            spec,
            width=width,
            neurons=neurons,
            anchor=anchor,
            depth=depth,
            share_weights=share_weights,
            attn_heads=attn_heads,
            prompt_tokens=prompt_tokens,
            ffn_mult=ffn_mult,
            zero_init_steps=zero_init_steps,
        )
        self.memory_init = nn.Parameter(torch.randn(memory_tokens, width) * 0.02)
        self.memories = self.per_step(
            lambda: _MemoryUpdate(width, attn_heads, memory_tokens, write_tokens), depth + 1
        )

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        problems = super().check_params(params, depth=depth)
        for k in ("memory_tokens", "write_tokens"):
            v = params.get(k)
            if not isinstance(v, int) or v < 1:
                problems.append(f"{k}: must be an int >= 1, got {v!r}")
        return problems

    def update(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        state = self.integrator(step)(state, feats)
        memory = ctx.carry.get("memory")
        if memory is None:
            memory = self.memory_init.unsqueeze(0).expand(state.shape[0], -1, -1)
        state, ctx.carry["memory"] = self.at(self.memories, step)(state, memory)
        return state
