"""Pieces shared by the RA block variants: the gated multi-neuron ``Integrator`` and perturbed top-k.

Integrate (DESIGN.md 4): z <- z + sum_i g_i * CrossAttn(LN(z), F_i), then z <- z + g_f * FFN(z).
The gates g_i are per neuron: sigmoid(0) = 0.5 for ra-cross, tanh(0) = 0 for the gated variant.
"""

from __future__ import annotations

import functools
import operator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.network import CrossAttention, FeedForward, attend
from sen_core.neuron import Tokens

__all__ = ["GATES", "Integrator", "perturbed_topk"]

GATES = ("sigmoid", "tanh")


class Integrator(nn.Module):
    """State (B, L, D) cross-attends to each neuron's adapted tokens (B, N_i, D), gated per neuron."""

    def __init__(
        self, width: int, keys: list[str], heads: int, *, gate: str = "sigmoid", ffn_mult: int = 2
    ) -> None:
        super().__init__()
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        self.keys = list(keys)
        self.heads = heads
        self.gate = gate
        self.norm = nn.LayerNorm(width)
        self.attn = CrossAttention(width, heads)
        self.gates = nn.Parameter(torch.zeros(len(self.keys)))
        self.ffn = FeedForward(width, ffn_mult)
        # Flamingo gates the feed-forward too, so that an untrained gated block is the identity.
        self.ffn_gate = nn.Parameter(torch.zeros(())) if gate == "tanh" else None

    def gate_values(self) -> Tensor:
        return torch.tanh(self.gates) if self.gate == "tanh" else torch.sigmoid(self.gates)

    def messages(self, state: Tensor, feats: dict[str, Tokens]) -> Tensor:
        """sum_i g_i * CrossAttn(LN(z), F_i): what the neurons tell the state (B, L, D)."""
        q = self.attn.q(self.norm(state))  # computed once for every neuron
        g = self.gate_values()
        parts = []
        for i, key in enumerate(self.keys):
            tok = feats[key]
            k, v = self.attn.kv(tok.x).chunk(2, dim=-1)
            parts.append(g[i] * attend(q, k, v, self.heads, tok.mask))
        mixed: Tensor = functools.reduce(operator.add, parts)  # the sum, in neuron order
        # out(sum g_i a_i) with the bias scaled by sum g_i == sum g_i * out(a_i): zero gates -> zero message
        return F.linear(mixed, self.attn.out.weight) + g.sum() * self.attn.out.bias

    def feed_forward(self, state: Tensor) -> Tensor:
        g = torch.tanh(self.ffn_gate) if self.ffn_gate is not None else 1.0
        return state + g * self.ffn(state)

    def forward(self, state: Tensor, feats: dict[str, Tokens]) -> Tensor:
        return self.feed_forward(state + self.messages(state, feats))


class _PerturbedTopK(torch.autograd.Function):
    """Differentiable top-k by perturbation (Berthet et al. 2020; Cordonnier et al. 2021, arXiv 2104.03059).

    Forward: the mean over ``samples`` noisy draws of the sorted top-k one-hot indicators (B, k, T).
    Backward: the perturbed-optimiser estimator E[indicators * noise] / sigma.
    """

    @staticmethod
    def forward(ctx, scores: Tensor, k: int, samples: int, sigma: float) -> Tensor:
        b, t = scores.shape
        noise = torch.randn(b, samples, t, dtype=scores.dtype, device=scores.device)
        idx = (
            (scores.unsqueeze(1) + sigma * noise).topk(k, dim=-1).indices.sort(dim=-1).values
        )  # (B, S, k)
        ind = F.one_hot(idx, t).to(scores.dtype)  # (B, S, k, T)
        ctx.save_for_backward(ind, noise)
        ctx.sigma, ctx.samples = sigma, samples
        return ind.mean(1)

    @staticmethod
    def backward(ctx, grad: Tensor):
        ind, noise = ctx.saved_tensors
        jac = torch.einsum("bskt,bsu->bktu", ind, noise) / (
            ctx.samples * ctx.sigma
        )  # d indicators / d scores
        return torch.einsum("bkt,bktu->bu", grad, jac), None, None, None


def perturbed_topk(scores: Tensor, k: int, *, samples: int = 32, sigma: float = 0.05) -> Tensor:
    """Soft top-k selection matrix (B, k, T) of ``scores`` (B, T), rows in time order."""
    return _PerturbedTopK.apply(scores, k, samples, sigma)
