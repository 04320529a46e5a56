"""Recognition heads: ``sen/classify-linear@1`` and ``sen/classify-zeroshot@1``.

Both read the pooled state (B, D). The linear head has one weight row per class; the zero-shot
head scores the state against the class names' text features (out.text['class_names'], (C, D))
with a learnable CLIP-style temperature, so it works for classes it never trained on.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, InputError
from sen_core.network import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec

from ._common import clip_logit_scale, head_params, need_batch, need_text
from ._defaults import PARAMS
from .metrics_classify import TopKMeter


def _labels(batch: dict[str, Any], head: str, num_classes: int, device: torch.device) -> Tensor:
    y = torch.as_tensor(need_batch(batch, "label", head), device=device).long().reshape(-1)
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise InputError(
            f"head '{head}': labels must lie in [0, {num_classes}), "
            f"got min {int(y.min())} max {int(y.max())}"
        )
    return y


class LinearClassifier(Head):
    """logits = Linear(LayerNorm(pooled)); cross-entropy on batch['label']."""

    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        num_classes: int,
        dropout: float = 0.0,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(spec, width=width)
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        return {"logits": self.fc(self.drop(self.norm(out.pooled)))}  # (B, C)

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        y = _labels(batch, self.spec.name, self.num_classes, preds["logits"].device)
        return F.cross_entropy(preds["logits"], y, label_smoothing=self.label_smoothing)

    def meter(self) -> Meter:
        return TopKMeter()


class ZeroShotClassifier(Head):
    """logits = exp(s) * cos(P_v pooled, P_t class_names); cross-entropy on batch['label']."""

    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        embed_dim: int | None = None,
        init_temperature: float = 0.07,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(spec, width=width)
        e = embed_dim or width
        self.label_smoothing = label_smoothing
        self.video_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, e))
        self.text_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, e))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / init_temperature)))

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        names = need_text(out, "class_names", self.spec.name)  # (C, D)
        v = F.normalize(self.video_proj(out.pooled), dim=-1)  # (B, E)
        t = F.normalize(self.text_proj(names), dim=-1)  # (C, E)
        return {"logits": clip_logit_scale(self.logit_scale) * v @ t.t()}  # (B, C)

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        logits = preds["logits"]
        y = _labels(batch, self.spec.name, logits.shape[-1], logits.device)
        return F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)

    def meter(self) -> Meter:
        return TopKMeter()


def build_linear(spec: HeadSpec, *, width: int, **params: Any) -> LinearClassifier:
    p = head_params(spec, params, PARAMS["sen/classify-linear@1"])
    if not isinstance(p["num_classes"], int) or p["num_classes"] < 1:
        raise ConfigError(
            f"head '{spec.name}' needs params.num_classes (a positive int), got {p['num_classes']!r}; "
            "set it to the dataset's number of classes"
        )
    return LinearClassifier(spec, width=width, **p)


def build_zeroshot(spec: HeadSpec, *, width: int, **params: Any) -> ZeroShotClassifier:
    p = head_params(spec, params, PARAMS["sen/classify-zeroshot@1"])
    return ZeroShotClassifier(spec, width=width, **p)
