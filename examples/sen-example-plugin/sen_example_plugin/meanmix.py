"""acme/mean-mix@1: an integrate-only RA block written against sen_core.network.RABlock.

Each step moves every state token towards a gated mix of the neurons' mean tokens. It distributes
no prompts, so neurons are encoded once: the cheap end of the ablation range.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sen_core.network import RABlock, StepContext
from sen_core.neuron import Tokens


class MeanMix(RABlock):
    def __init__(
        self,
        spec,
        *,
        width,
        neurons,
        anchor,
        depth,
        share_weights=True,
        attn_heads=4,
        prompt_tokens=4,
        rate: float = 0.5,
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
        self.rate = rate
        keys = list(neurons)
        self.keys = keys
        # one gate per neuron and step (or shared across steps), zero at init: starts as the anchor alone
        self.gates = self.per_step(lambda: _Gates(len(keys)), depth + 1)

    @classmethod
    def check_params(cls, params, *, depth) -> list[str]:
        rate = params.get("rate", 0.5)
        return (
            []
            if isinstance(rate, (int, float)) and 0 < rate <= 1
            else [f"rate: must be in (0, 1], got {rate!r}"]
        )

    def integrate(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        gates = torch.tanh(self.at(self.gates, step).get_parameter("weight"))  # (n_neurons,)
        mix = sum(
            g * feats[k].pooled().reshape(state.shape[0], -1, state.shape[-1]).mean(1)
            for g, k in zip(gates, self.keys, strict=True)
        )  # (B, D); class names pool over classes
        return state + self.rate * mix.unsqueeze(1)

    def distribute(self, step: int, state: Tensor, ctx: StepContext) -> dict[str, Tensor]:
        return {}


class _Gates(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n))


def build(spec, **kwargs) -> MeanMix:
    return MeanMix(spec, **kwargs)
