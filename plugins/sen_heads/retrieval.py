"""Video-text retrieval head ``sen/retrieval@1``: symmetric InfoNCE on pooled state vs caption.

Reads out.pooled (B, D) and out.text['caption'] (B, D) (the caption neuron is not integrated into
the state, so the target does not leak; ``text_input`` picks another text source), projects both
to a joint space and contrasts them.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.network import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec

from ._common import clip_logit_scale, head_params, need_text
from ._defaults import PARAMS
from .metrics_retrieval import RetrievalMeter


def info_nce(v: Tensor, t: Tensor, scale: Tensor, positives: Tensor | None = None) -> Tensor:
    """Symmetric InfoNCE of (B, E) normalised embeddings; pair i <-> i is positive.

    ``positives`` (B, B) bool marks extra positives (e.g. identical captions): the target is then
    uniform over a row's positives instead of one-hot.
    """
    logits = scale * v @ t.t()  # (B, B)
    if positives is None:
        target = torch.arange(v.shape[0], device=v.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    p = positives.float()
    return (
        F.cross_entropy(logits, p / p.sum(1, keepdim=True))
        + F.cross_entropy(logits.t(), p.t() / p.t().sum(1, keepdim=True))
    ) / 2


class RetrievalHead(Head):
    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        embed_dim: int | None = None,
        init_temperature: float = 0.07,
        dedupe_captions: bool = True,
        text_input: str = "caption",
        ties: str = "average",
    ) -> None:
        super().__init__(spec, width=width)
        e = embed_dim or width
        self.dedupe_captions, self.text_input = dedupe_captions, text_input
        self.ties = ties  # how the meter ranks tied similarities (metrics_retrieval.TIES)
        self.video_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, e))
        self.text_proj = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, e))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / init_temperature)))

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        cap = need_text(out, self.text_input, self.spec.name)  # (B, D)
        return {
            "video_emb": F.normalize(self.video_proj(out.pooled), dim=-1),  # (B, E)
            "text_emb": F.normalize(self.text_proj(cap), dim=-1),  # (B, E)
            "logit_scale": clip_logit_scale(self.logit_scale),
        }

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        positives = None
        captions = batch.get(self.text_input)
        if self.dedupe_captions and captions is not None:
            # identical captions in one batch are the same target: do not push them apart
            eq = [[a == b for b in captions] for a in captions]
            positives = torch.tensor(eq, device=preds["video_emb"].device)
            if bool(positives.sum() == len(captions)):
                positives = None
        return info_nce(preds["video_emb"], preds["text_emb"], preds["logit_scale"], positives)

    def meter(self) -> Meter:
        return RetrievalMeter(ties=self.ties)


def build(spec: HeadSpec, *, width: int, **params: Any) -> RetrievalHead:
    p = head_params(spec, params, PARAMS["sen/retrieval@1"])
    return RetrievalHead(spec, width=width, **p)
