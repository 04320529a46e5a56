"""``sen/ra-cross@1``: the Recursive Association block (integrate, distribute, prompt; K times).

Source: Chen et al. 2025, "Super Encoding Network: Recursive Association of Multi-Modal Encoders
for Video Understanding" (arXiv 2506.07576) -- our reading of its abstract (DESIGN.md 4): the
state cross-attends to every neuron's adapted tokens, summed with per-neuron gates; learned
queries turn the state into each promptable neuron's prompts (or FiLM parameters); those neurons
run again with them.

Steps 1..K are ReZero-gated (``zero_init_steps``, on by default): the state after step k is
z + a_k * (integrate(z) - z) with a_k = 0 at initialisation (Bachlechner et al. 2020, ReZero;
LLaMA-Adapter's zero-init attention, Zhang et al. 2023), so an untrained K>0 network computes exactly
what the K=0 network does, and recursion is learned in only where it lowers the loss.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sen_core.network import Distributor, NeuronInfo, RABlock, StepContext
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
        zero_init_steps: bool = True,
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
        # one scalar per recursive step; zero, so K>0 starts as K=0 (see the module docstring)
        self.step_gates = (
            nn.Parameter(torch.zeros(depth)) if zero_init_steps and depth > 0 else None
        )

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        mult = params.get("ffn_mult", 2)
        problems = (
            []
            if isinstance(mult, int) and mult >= 1
            else [f"ffn_mult: must be an int >= 1, got {mult!r}"]
        )
        zero = params.get("zero_init_steps", True)
        if not isinstance(zero, bool):
            problems.append(f"zero_init_steps: must be true or false, got {zero!r}")
        return problems

    def integrator(self, step: int) -> Integrator:
        integ = self.at(self.integrators, step)
        assert isinstance(integ, Integrator)  # per_step built them
        return integ

    def integrate(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        new = self.update(step, state, feats, ctx)
        if step == 0 or self.step_gates is None:
            return new
        return state + self.step_gates[step - 1] * (new - state)

    def update(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        """The variant's state update at ``step`` (before the step gate); subclasses override it."""
        return self.integrator(step)(state, feats)

    def distribute(self, step: int, state: Tensor, ctx: StepContext) -> dict[str, Tensor]:
        return self.at(self.distributors, step - 1)(state)
