"""Recognition metrics: top-k accuracy (top-5 capped at the number of classes).

Used by the linear and zero-shot classification heads' meters; pure functions of logits and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from sen_core.network import Meter


def topk_correct(logits: Tensor, labels: Tensor, ks: Sequence[int] = (1, 5)) -> dict[int, int]:
    """How many of the (B,) ``labels`` are among the top-k of (B, C) ``logits``, for each k.

    k is capped at C, so top-5 with three classes counts every sample as correct.
    """
    c = logits.shape[-1]
    kmax = min(max(ks), c)
    top = logits.topk(kmax, dim=-1).indices  # (B, kmax)
    hit = top == labels.to(top.device).unsqueeze(-1)  # (B, kmax)
    return {k: int(hit[:, : min(k, c)].any(-1).sum()) for k in ks}


def topk_accuracy(logits: Tensor, labels: Tensor, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """{'top1': fraction, 'top5': fraction} for (B, C) logits and (B,) labels."""
    n = max(int(labels.numel()), 1)
    return {f"top{k}": v / n for k, v in topk_correct(logits, labels, ks).items()}


class TopKMeter(Meter):
    """Counts top-k hits over batches; ``compute`` gives fractions in [0, 1]."""

    state = ("hits", "total")

    def __init__(self, ks: Sequence[int] = (1, 5)) -> None:
        self.ks = tuple(ks)
        self.hits = dict.fromkeys(self.ks, 0)
        self.total = 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        logits = preds["logits"].detach()
        labels = torch.as_tensor(batch["label"]).reshape(-1)
        for k, v in topk_correct(logits, labels, self.ks).items():
            self.hits[k] += v
        self.total += int(labels.numel())

    def compute(self) -> dict[str, float]:
        n = max(self.total, 1)
        return {f"top{k}": self.hits[k] / n for k in self.ks}
