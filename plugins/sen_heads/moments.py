"""Moment retrieval and highlight detection head ``sen/moments@1`` (Moment-DETR style).

Per-frame features (anchor frame tokens + state context, see ``_common.FrameFeatures``) pass one
encoder layer together with the query text token; N learned queries cross-attend over them and
predict (center, width) spans in [0, 1] and foreground logits; a linear layer gives per-frame
saliency. Training matches predictions to ground-truth moments with the Hungarian algorithm.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import ConfigError, InputError
from sen_core.network import Head, Meter, NetworkOutput
from sen_core.specs import HeadSpec

from ._common import FrameFeatures, attn_heads, head_params, need_batch, resample_time
from ._defaults import PARAMS
from .metrics_moments import MomentsMeter, saliency_from_moments
from .spans import cw_to_se, hungarian_match, pairwise_giou, se_to_cw

FOREGROUND, BACKGROUND = 0, 1  # class indices of the (B, N, 2) logits, as in Moment-DETR

DEFAULTS = PARAMS["sen/moments@1"]


def _mlp(width: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, out))


class MomentsHead(Head):
    class_weight: Tensor  # a buffer (registered in __init__)

    def __init__(
        self,
        spec: HeadSpec,
        *,
        width: int,
        num_queries: int,
        layers: int,
        dropout: float,
        anchor_width: int | None,
        text_input: str,
        cost_span: float,
        cost_giou: float,
        cost_class: float,
        span_weight: float,
        giou_weight: float,
        label_weight: float,
        eos_coef: float,
        saliency_loss: str,
        saliency_margin: float,
        saliency_weight: float,
        hit_threshold: float,
        max_windows: int,
    ) -> None:
        super().__init__(spec, width=width)
        self.text_input = text_input
        self.costs = {"cost_span": cost_span, "cost_giou": cost_giou, "cost_class": cost_class}
        self.weights = {
            "span": span_weight,
            "giou": giou_weight,
            "label": label_weight,
            "saliency": saliency_weight,
        }
        self.saliency_loss, self.saliency_margin = saliency_loss, saliency_margin
        self.hit_threshold, self.max_windows = hit_threshold, max_windows
        self.register_buffer("class_weight", torch.tensor([1.0, eos_coef]), persistent=False)
        heads = attn_heads(width)
        self.frames = FrameFeatures(width, anchor_width=anchor_width, dropout=dropout)
        self.text_proj = nn.Linear(width, width)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(
                width, heads, 2 * width, dropout, batch_first=True, norm_first=True
            ),
            num_layers=1,
            enable_nested_tensor=False,
        )
        self.queries = nn.Parameter(torch.randn(num_queries, width) * 0.02)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(
                width, heads, 2 * width, dropout, batch_first=True, norm_first=True
            ),
            num_layers=layers,
            norm=nn.LayerNorm(width),
        )
        self.span_head = _mlp(width, 2)
        self.class_head = nn.Linear(width, 2)
        self.saliency_head = nn.Linear(width, 1)

    def forward(self, out: NetworkOutput, batch: dict[str, Any]) -> dict[str, Tensor]:
        f = self.frames(out, self.spec.name)  # (B, T, D)
        b, _t, _d = f.shape
        q_text = out.text.get(self.text_input)
        if q_text is not None:
            tq = self.text_proj(q_text).unsqueeze(
                1
            )  # (B, 1, D): the query text conditions frames and queries
            mem = self.encoder(torch.cat([tq, f], dim=1))[:, 1:]  # (B, T, D)
            tgt = self.queries.unsqueeze(0) + tq  # (B, N, D)
        else:
            mem = self.encoder(f)
            tgt = self.queries.unsqueeze(0).expand(b, -1, -1)
        h = self.decoder(tgt, mem)  # (B, N, D)
        return {
            "spans": self.span_head(h).sigmoid(),  # (B, N, 2) (center, width) in [0, 1]
            "logits": self.class_head(h),  # (B, N, 2) foreground / background
            "saliency": self.saliency_head(mem).squeeze(-1),  # (B, T)
        }

    # ---- loss --------------------------------------------------------------------------------
    def match(self, preds: dict[str, Tensor], moments: list[Tensor]) -> list[tuple[Tensor, Tensor]]:
        """Hungarian assignment per sample: [(pred_idx (K_i,), gt_idx (K_i,))]."""
        fg = preds["logits"].detach().softmax(-1)[..., FOREGROUND]
        return [
            hungarian_match(preds["spans"][i].detach(), fg[i], moments[i], **self.costs)
            for i in range(len(moments))
        ]

    def loss(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> Tensor:
        # reduce, not sum(): no int 0 start, so the result is a Tensor (same additions, same order)
        return functools.reduce(operator.add, self.loss_terms(preds, batch).values())

    def loss_terms(self, preds: dict[str, Tensor], batch: dict[str, Any]) -> dict[str, Tensor]:
        """The weighted terms: span (L1), giou (1 - gIoU), label (CE), saliency."""
        spans, logits = preds["spans"], preds["logits"]
        dev = spans.device
        moments = [
            torch.as_tensor(m, dtype=torch.float32, device=dev).reshape(-1, 2)
            for m in need_batch(batch, "moments", self.spec.name)
        ]
        if len(moments) != spans.shape[0]:
            raise InputError(
                f"head '{self.spec.name}': batch['moments'] has {len(moments)} entries "
                f"for a batch of {spans.shape[0]}"
            )
        matches = self.match(preds, moments)
        b_idx = torch.cat([torch.full_like(p, i) for i, (p, _) in enumerate(matches)]).to(dev)
        p_idx = torch.cat([p for p, _ in matches]).to(dev)
        gt = torch.cat(
            [moments[i][g.to(dev)] for i, (_, g) in enumerate(matches)]
        )  # (M, 2) start/end
        n = max(gt.shape[0], 1)
        matched = spans[b_idx, p_idx]  # (M, 2) center/width
        l1 = F.l1_loss(matched, se_to_cw(gt), reduction="sum") / n
        giou = (1 - pairwise_giou(cw_to_se(matched), gt).diagonal()).sum() / n
        target = torch.full(logits.shape[:2], BACKGROUND, dtype=torch.long, device=dev)
        target[b_idx, p_idx] = FOREGROUND
        ce = F.cross_entropy(
            logits.flatten(0, 1), target.flatten(), weight=self.class_weight.to(logits.dtype)
        )
        sal = self._saliency_loss(preds["saliency"], batch, moments)
        w = self.weights
        return {
            "span": w["span"] * l1,
            "giou": w["giou"] * giou,
            "label": w["label"] * ce,
            "saliency": w["saliency"] * sal,
        }

    def _saliency_loss(self, pred: Tensor, batch: dict[str, Any], moments: list[Tensor]) -> Tensor:
        t = pred.shape[1]
        if batch.get("saliency") is not None:
            gt = resample_time(torch.as_tensor(batch["saliency"], device=pred.device).float(), t)
        else:
            gt = saliency_from_moments([m.cpu() for m in moments], t).to(pred.device)
        if self.saliency_loss == "bce":
            return F.binary_cross_entropy_with_logits(pred, gt.clamp(0, 1))
        # hinge: every pair of frames (i, j) with gt_i > gt_j should score s_i >= s_j + margin
        pairs = gt[:, :, None] > gt[:, None, :]  # (B, T, T)
        if not bool(pairs.any()):
            return pred.sum() * 0.0
        viol = (self.saliency_margin - (pred[:, :, None] - pred[:, None, :])).clamp(min=0)
        return viol[pairs].mean()

    def meter(self) -> Meter:
        return MomentsMeter(self.hit_threshold, self.max_windows)


def build(spec: HeadSpec, *, width: int, **params: Any) -> MomentsHead:
    p = head_params(spec, params, DEFAULTS)
    if p["saliency_loss"] not in ("hinge", "bce"):
        raise ConfigError(
            f"head '{spec.name}': params.saliency_loss must be 'hinge' or 'bce', "
            f"got {p['saliency_loss']!r}"
        )
    if int(p["num_queries"]) < 1:
        raise ConfigError(
            f"head '{spec.name}': params.num_queries must be >= 1, got {p['num_queries']!r}"
        )
    return MomentsHead(spec, width=width, **p)
