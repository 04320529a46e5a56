"""``sen/ra-cross@1``: the Recursive Association block (integrate, distribute, prompt; K times).

Source: Chen et al. 2025, "Super Encoding Network: Recursive Association of Multi-Modal Encoders
for Video Understanding" (arXiv 2506.07576) -- our reading of its abstract (DESIGN.md 4): the
state cross-attends to every neuron's adapted tokens, summed with per-neuron gates; learned
queries turn the state into each promptable neuron's prompts (or FiLM parameters); those neurons
run again with them.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from sen_core.network.block import NeuronInfo, RABlock, StepContext
from sen_core.network.prompts import Distributor
from sen_core.neuron import Tokens
from sen_core.specs import BlockSpec

from ._common import Integrator

__all__ = ["CrossRA"]


class CrossRA(RABlock):
    """Integrate with sigmoid-gated cross-attention, distribute with per-neuron prompt generators."""

    gate = "sigmoid"

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
        ffn_mult: int = 2,
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
        keys = list(neurons)
        # depth + 1 integrations (step 0 and after each re-encoding), depth distributions
        self.integrators = self.per_step(
            lambda: Integrator(width, keys, attn_heads, gate=self.gate, ffn_mult=ffn_mult),
            depth + 1,
        )
        self.distributors = self.per_step(
            lambda: Distributor(width, neurons, prompt_tokens=prompt_tokens, heads=attn_heads),
            depth,
        )

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        mult = params.get("ffn_mult", 2)
        return (
            []
            if isinstance(mult, int) and mult >= 1
            else [f"ffn_mult: must be an int >= 1, got {mult!r}"]
        )

    def integrator(self, step: int) -> Integrator:
        return self.at(self.integrators, step)  # type: ignore[return-value]

    def integrate(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        return self.integrator(step)(state, feats)

    def distribute(self, step: int, state: Tensor, ctx: StepContext) -> dict[str, Tensor]:
        return self.at(self.distributors, step - 1)(state)
