"""Distribute: turn the video state into each promptable neuron's prompts.

Token-prompted neurons get (B, M, dim) prompts from M learned queries that cross-attend to the
state (VPT-shallow: injected after the token embedding); FiLM neurons get (B, 2 * sum(channels))
from the pooled state, zero-initialised so that an untrained generator leaves the CNN unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..neuron import PromptSlot
from .attention import CrossAttention
from .block import NeuronInfo

__all__ = ["Distributor", "PromptGenerator"]


class PromptGenerator(nn.Module):
    """State (B, L, D) -> prompts for one neuron's ``PromptSlot``."""

    def __init__(self, width: int, slot: PromptSlot, *, prompt_tokens: int, heads: int) -> None:
        super().__init__()
        self.kind = slot.kind
        if slot.kind == "tokens":
            self.queries = nn.Parameter(torch.randn(prompt_tokens, width) * 0.02)
            self.norm = nn.LayerNorm(width)
            self.attn = CrossAttention(width, heads)
            self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, slot.dim))
        else:
            self.out = nn.Sequential(
                nn.LayerNorm(width),
                nn.Linear(width, width),
                nn.GELU(),
                nn.Linear(width, slot.film_size),
            )
            nn.init.zeros_(self.out[-1].weight)  # FiLM (1 + 0) * x + 0 = identity at init
            nn.init.zeros_(self.out[-1].bias)

    def forward(self, state: Tensor) -> Tensor:
        if self.kind == "film":
            return self.out(state.mean(1))  # (B, 2 * sum(C))
        q = self.queries.unsqueeze(0).expand(state.shape[0], -1, -1)  # (B, M, D)
        return self.out(q + self.attn(q, self.norm(state)))  # (B, M, dim)


class Distributor(nn.Module):
    """One ``PromptGenerator`` per prompted neuron; ``forward(state) -> {key: prompts}``."""

    def __init__(
        self, width: int, neurons: dict[str, NeuronInfo], *, prompt_tokens: int, heads: int
    ) -> None:
        super().__init__()
        self.gens = nn.ModuleDict(
            {
                k: PromptGenerator(width, n.prompt_slot, prompt_tokens=prompt_tokens, heads=heads)
                for k, n in neurons.items()
                if n.prompt_slot is not None
            }
        )

    def forward(self, state: Tensor) -> dict[str, Tensor]:
        return {k: g(state) for k, g in self.gens.items()}
