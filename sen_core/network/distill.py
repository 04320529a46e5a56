"""Collaborative distillation: the neurons teach each other, and prompting must not wander far.

``align``: symmetric InfoNCE between every pair of neurons' projected pooled features (B, D) --
the same clip seen by two encoders is a positive pair, the other clips of the batch negatives.
``keep``: 1 - cos(prompted pooled features, prompt-free pooled features), per re-encoded neuron,
in the neuron's native space with the prompt-free side detached (it is the teacher).
"""

from __future__ import annotations

from itertools import combinations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["align_loss", "distill_loss", "keep_loss"]


def align_loss(projected: dict[str, Tensor], temperature: float = 0.1) -> Tensor | None:
    """Mean symmetric InfoNCE over neuron pairs; None with fewer than two neurons."""
    feats = [F.normalize(p, dim=-1) for p in projected.values()]
    if len(feats) < 2:
        return None
    target = torch.arange(feats[0].shape[0], device=feats[0].device)
    losses = []
    for a, b in combinations(feats, 2):
        logits = a @ b.T / temperature  # (B, B)
        losses.append(0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)))
    return torch.stack(losses).mean()


def keep_loss(pairs: dict[str, tuple[Tensor, Tensor]]) -> Tensor | None:
    """Mean (1 - cos) between prompted (B, D_i) and detached prompt-free (B, D_i) features."""
    if not pairs:
        return None
    losses = [
        (1 - F.cosine_similarity(p, free.detach(), dim=-1)).mean() for p, free in pairs.values()
    ]
    return torch.stack(losses).mean()


def distill_loss(
    projected: dict[str, Tensor], pairs: dict[str, tuple[Tensor, Tensor]], temperature: float = 0.1
) -> Tensor:
    """align + keep (each term present only when it has something to compare)."""
    terms = [t for t in (align_loss(projected, temperature), keep_loss(pairs)) if t is not None]
    if not terms:
        ref = next(iter(projected.values()))
        return ref.new_zeros(())
    return torch.stack(terms).sum()
