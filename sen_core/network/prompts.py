"""Distribute: turn the video state into each promptable neuron's prompts.

Token-prompted neurons get (B, M, dim) prompts from M learned queries that cross-attend to the
state (one set, entering at the neuron's ``prompt_from`` layer), or (B, depth, M, dim) when the slot
is deep (one set per layer from the boundary on). Deep prompts come from ONE generator whose
queries carry a learned layer embedding (``deep="shared"``, the default: a third of the parameters
of ``deep="per_layer"``, one generator per layer, and faster; ``benchmarks/network.py --late``
prints both). FiLM neurons get (B, 2 * sum(channels)) from the pooled state,
zero-initialised so that an untrained generator leaves the CNN unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor, nn

from sen_core.errors import ConfigError
from sen_core.network.attention import CrossAttention
from sen_core.network.block import NeuronInfo
from sen_core.neuron import PromptSlot

__all__ = ["DEEP_MODES", "Distributor", "PromptGenerator"]

DEEP_MODES = ("shared", "per_layer")


class PromptGenerator(nn.Module):
    """State (B, L, D) -> prompts for one neuron's ``PromptSlot``.

    A deep token slot (depth > 1) gets (B, depth, M, dim): the M queries plus a learned embedding
    of each layer attend to the state together, so one generator serves every layer.

    Args:
        width: D, the state width.
        slot: the neuron's ``PromptSlot`` (tokens: dim and depth; film: channels).
        prompt_tokens: M (tokens only).
        heads: attention heads of the queries' cross-attention.
    """

    def __init__(self, width: int, slot: PromptSlot, *, prompt_tokens: int, heads: int) -> None:
        super().__init__()
        self.kind = slot.kind
        self.layers = slot.depth if slot.kind == "tokens" and slot.depth > 1 else 0
        if slot.kind == "tokens":
            self.queries = nn.Parameter(torch.randn(prompt_tokens, width) * 0.02)
            if self.layers:
                self.layer_emb = nn.Parameter(torch.randn(self.layers, 1, width) * 0.02)
            self.norm = nn.LayerNorm(width)
            self.attn = CrossAttention(width, heads)
            self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, slot.dim))
        else:
            hidden = nn.Linear(width, width)  # built in this order: same seeded init as before
            last = nn.Linear(width, slot.film_size)
            nn.init.zeros_(last.weight)  # FiLM (1 + 0) * x + 0 = identity at init
            nn.init.zeros_(last.bias)
            self.out = nn.Sequential(nn.LayerNorm(width), hidden, nn.GELU(), last)

    def forward(self, state: Tensor) -> Tensor:
        """State (B, L, D) -> (B, M, dim), (B, depth, M, dim) or FiLM (B, 2 * sum(channels))."""
        if self.kind == "film":
            film: Tensor = self.out(state.mean(1))  # (B, 2 * sum(C))
            return film
        b, m = state.shape[0], self.queries.shape[0]
        q: Tensor = self.queries
        if self.layers:
            q = (q.unsqueeze(0) + self.layer_emb).flatten(0, 1)  # (depth * M, D)
        q = q.unsqueeze(0).expand(b, -1, -1)
        p: Tensor = self.out(q + self.attn(q, self.norm(state)))  # (B, [depth *] M, dim)
        return p.reshape(b, self.layers, m, -1) if self.layers else p


class _PerLayer(nn.Module):
    """Deep prompts from one shallow generator per layer (the ``deep="per_layer"`` option)."""

    def __init__(self, width: int, slot: PromptSlot, *, prompt_tokens: int, heads: int) -> None:
        super().__init__()
        one = replace(slot, depth=1)
        self.gens = nn.ModuleList(
            PromptGenerator(width, one, prompt_tokens=prompt_tokens, heads=heads)
            for _ in range(slot.depth)
        )

    def forward(self, state: Tensor) -> Tensor:
        return torch.stack([g(state) for g in self.gens], dim=1)  # (B, depth, M, dim)


class Distributor(nn.Module):
    """One prompt generator per prompted neuron; ``forward(state) -> {key: prompts}``.

    Args:
        width: D, the state width.
        neurons: key -> NeuronInfo; those with a ``prompt_slot`` get a generator.
        prompt_tokens: M; heads: attention heads.
        deep: 'shared' (one generator for every layer of a deep slot) or 'per_layer'.

    Raises:
        ConfigError: ``deep`` is not one of ``DEEP_MODES``.
    """

    def __init__(
        self,
        width: int,
        neurons: dict[str, NeuronInfo],
        *,
        prompt_tokens: int,
        heads: int,
        deep: str = "shared",
    ) -> None:
        super().__init__()
        if deep not in DEEP_MODES:
            raise ConfigError(f"deep={deep!r}; expected one of {', '.join(DEEP_MODES)}")
        gens: dict[str, nn.Module] = {}
        for k, n in neurons.items():
            slot = n.prompt_slot
            if slot is None:
                continue
            per_layer = deep == "per_layer" and slot.kind == "tokens" and slot.depth > 1
            cls = _PerLayer if per_layer else PromptGenerator
            gens[k] = cls(width, slot, prompt_tokens=prompt_tokens, heads=heads)
        self.gens = nn.ModuleDict(gens)

    def forward(self, state: Tensor) -> dict[str, Tensor]:
        """State (B, L, D) -> {key: prompts in that neuron's slot shape}."""
        return {k: g(state) for k, g in self.gens.items()}
