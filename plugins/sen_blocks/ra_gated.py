"""``sen/ra-gated@1``: RA with tanh gates initialised at zero, so the untrained network equals the
anchor alone and every neuron's contribution is learned in from nothing.

Source: Alayrac et al. 2022, "Flamingo: a Visual Language Model for Few-Shot Learning"
(arXiv 2204.14198), gated cross-attention dense layers: x + tanh(a) * xattn(x), x + tanh(b) * ffn(x).
"""

from __future__ import annotations

from .ra_cross import CrossRA

__all__ = ["GatedRA"]


class GatedRA(CrossRA):
    """``sen/ra-cross@1`` with per-neuron and feed-forward gates tanh(a), a = 0 at initialisation."""

    gate = "tanh"
