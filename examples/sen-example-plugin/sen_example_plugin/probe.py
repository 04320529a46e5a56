"""acme/linear-probe@1: a linear classifier head on the pooled state (written against sen_core.network)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sen_core.network import Head, Meter


class _Top1(Meter):
    state = ("correct", "total")  # accumulators: the inherited reset() and merge() use them

    def __init__(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, preds, batch) -> None:
        label = torch.as_tensor(batch["label"])
        self.correct += int((preds["logits"].argmax(-1) == label).sum())
        self.total += int(label.numel())

    def compute(self) -> dict[str, float]:
        return {"top1": self.correct / max(self.total, 1)}


class LinearProbe(Head):
    def __init__(self, spec, *, width: int, num_classes: int = 10):
        super().__init__(spec, width=width)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, out, batch):
        return {"logits": self.fc(out.pooled)}

    def loss(self, preds, batch):
        return F.cross_entropy(preds["logits"], torch.as_tensor(batch["label"]))

    def meter(self) -> Meter:
        return _Top1()


def build(spec, *, width: int, **params) -> LinearProbe:
    return LinearProbe(spec, width=width, **params)
