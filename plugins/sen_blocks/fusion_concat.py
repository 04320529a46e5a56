"""``sen/fusion-concat@1``: the late-fusion baseline -- no recursion and no prompting.

Source: late fusion as in ImageBind (Girdhar et al. 2023, arXiv 2305.05665) and torchmultimodal's
LateFusion: each neuron is encoded once, the pooled features are concatenated and fused by an MLP,
and the fused vector is added to every anchor token. The shallow end the SEN paper argues against.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sen_core.network import NeuronInfo, RABlock, StepContext
from sen_core.neuron import Tokens
from sen_core.specs import BlockSpec

__all__ = ["ConcatFusion"]


class ConcatFusion(RABlock):
    """state = anchor tokens + MLP(concat_i pooled(F_i)), one pass (depth must be 0)."""

    def __init__(
        self,
        spec: BlockSpec,
        *,
        width: int,
        neurons: dict[str, NeuronInfo],
        anchor: str,
        depth: int,
        share_weights: bool = True,
        attn_heads: int = 4,
        prompt_tokens: int = 4,
        hidden_mult: int = 2,
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
        )
        self.keys = list(neurons)
        n = len(self.keys) * width
        self.fuse = nn.Sequential(
            nn.LayerNorm(n),
            nn.Linear(n, hidden_mult * width),
            nn.GELU(),
            nn.Linear(hidden_mult * width, width),
        )

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        m = params.get("hidden_mult")
        return (
            []
            if isinstance(m, int) and m >= 1
            else [f"hidden_mult: must be an int >= 1, got {m!r}"]
        )

    def integrate(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        pooled = torch.cat([feats[k].pooled() for k in self.keys], dim=-1)  # (B, n * D)
        return state + self.fuse(pooled).unsqueeze(1)
