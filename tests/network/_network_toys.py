"""Tiny neurons and heads for the network tests, registered through a test catalogue.

Neurons: the conformance kit's toys (sen_core.testing.toys: a token-prompted ViT, a FiLM CNN, a
non-promptable 3-D conv, a masked text transformer), registered here. Heads: linear classifier,
zero-shot (needs class names), retrieval (needs a caption neuron).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.hookspecs import hookimpl
from sen_core.network.head import Head, Meter, NetworkOutput
from sen_core.specs import BlockSpec, HeadSpec
from sen_core.testing.toys import TOY_ENCODERS, ToyFilmCNN, ToyText, ToyVideo, ToyViT

__all__ = ["ENCODERS", "HEADS", "ToyFilmCNN", "ToyText", "ToyViT", "ToyVideo"]

MODULE = "_network_toys"


# ---- heads ---------------------------------------------------------------------------------------
class _Accuracy(Meter):
    def __init__(self) -> None:
        self.right = self.total = 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        self.right += int((preds["logits"].argmax(-1) == batch["label"]).sum())
        self.total += len(batch["label"])

    def compute(self) -> dict[str, float]:
        return {"accuracy": self.right / max(self.total, 1)}


class ToyClassify(Head):
    def __init__(self, spec: HeadSpec, *, width: int, num_classes: int = 3) -> None:
        super().__init__(spec, width=width)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        return {"logits": self.fc(out.pooled)}

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        return F.cross_entropy(preds["logits"], batch["label"])

    def meter(self) -> Meter:
        return _Accuracy()


class ToyZeroShot(ToyClassify):
    def __init__(self, spec: HeadSpec, *, width: int) -> None:
        Head.__init__(self, spec, width=width)

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        return {
            "logits": 10
            * F.normalize(out.pooled, dim=-1)
            @ F.normalize(out.text["class_names"], dim=-1).T
        }


class ToyRetrieval(ToyZeroShot):
    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        return {
            "logits": 10
            * F.normalize(out.pooled, dim=-1)
            @ F.normalize(out.text["caption"], dim=-1).T
        }

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        return F.cross_entropy(preds["logits"], torch.arange(preds["logits"].shape[0]))


# ---- registration --------------------------------------------------------------------------------
ENCODERS = TOY_ENCODERS
HEADS = (
    HeadSpec(
        name="toy/classify@1",
        summary="linear classifier",
        factory=f"{MODULE}:ToyClassify",
        task="classification",
        params={"num_classes": 3},
        metrics=("accuracy",),
    ),
    HeadSpec(
        name="toy/zeroshot@1",
        summary="zero-shot classifier",
        factory=f"{MODULE}:ToyZeroShot",
        task="classification",
        needs=("class_names",),
    ),
    HeadSpec(
        name="toy/retrieval@1",
        summary="video-caption retrieval",
        factory=f"{MODULE}:ToyRetrieval",
        task="retrieval",
        needs=("text",),
    ),
)

# A block that cannot work without prompting (for the validation tests).
NEEDS_PROMPTS = BlockSpec(
    name="toy/needs-prompts@1",
    summary="RA that must prompt",
    params={"ffn_mult": 2},
    factory="sen_blocks.ra_cross:CrossRA",
    needs_prompting=True,
)


@hookimpl
def sen_blocks(register) -> None:
    register(NEEDS_PROMPTS)


@hookimpl
def sen_encoders(register) -> None:
    for spec in ENCODERS:
        register(spec)


@hookimpl
def sen_heads(register) -> None:
    for spec in HEADS:
        register(spec)
