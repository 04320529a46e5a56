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


def average_views(keys: Sequence[Any], logits: Tensor) -> tuple[list[Any], Tensor]:
    """Multi-view test: the softmax probabilities of every view of a video, averaged.

    MMAction2's ``average_clips='prob'``: (V, C) logits of V views -> the mean of their softmax.

    Args:
        keys: one hashable per row of ``logits`` (rows with the same key are views of one video).
        logits: (N, C).

    Returns:
        (the distinct keys in first-seen order, (M, C) averaged probabilities).
    """
    order: dict[Any, int] = {}
    rows = [order.setdefault(k, len(order)) for k in keys]
    probs = logits.float().softmax(-1)
    index = torch.tensor(rows, dtype=torch.long)
    sums = torch.zeros(len(order), probs.shape[-1]).index_add_(0, index, probs)
    counts = torch.bincount(index, minlength=len(order)).clamp(min=1).unsqueeze(-1)
    return list(order), sums / counts


class TopKMeter(Meter):
    """Counts top-k hits over batches; ``compute`` gives fractions in [0, 1].

    A batch with ``view`` (multi-view test: each video is several samples with the same ``ids``)
    is kept until ``compute``, which averages each video's view probabilities first
    (``average_views``) and counts one prediction per video.
    """

    state = ("hits", "total", "view_keys", "view_logits", "view_labels")

    def __init__(self, ks: Sequence[int] = (1, 5)) -> None:
        self.ks = tuple(ks)
        self.hits = dict.fromkeys(self.ks, 0)
        self.total = 0
        self.view_keys: list[Any] = []
        self.view_logits: list[Tensor] = []
        self.view_labels: list[Tensor] = []

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        logits = preds["logits"].detach()
        labels = torch.as_tensor(batch["label"]).reshape(-1)
        if "view" in batch and "ids" in batch:
            self.view_keys += [tuple(sorted(i.items())) for i in batch["ids"]]
            self.view_logits.append(logits.float().cpu())
            self.view_labels.append(labels.cpu())
            return
        for k, v in topk_correct(logits, labels, self.ks).items():
            self.hits[k] += v
        self.total += int(labels.numel())

    def compute(self) -> dict[str, float]:
        hits, total = dict(self.hits), self.total
        if self.view_logits:
            keys, probs = average_views(self.view_keys, torch.cat(self.view_logits))
            first = {k: i for i, k in reversed(list(enumerate(self.view_keys)))}
            labels = torch.cat(self.view_labels)[[first[k] for k in keys]]
            for k, v in topk_correct(probs, labels, self.ks).items():
                hits[k] += v
            total += len(keys)
        n = max(total, 1)
        return {f"top{k}": hits[k] / n for k in self.ks}
