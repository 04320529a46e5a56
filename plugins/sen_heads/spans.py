"""1-D temporal spans: conversions, IoU, generalised IoU and Hungarian matching.

Spans are fractions of the clip in [0, 1]: (start, end) for metrics and ground truth,
(center, width) for what the moments head regresses. Used by ``moments.py`` and ``metrics_moments.py``.
"""

from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def cw_to_se(spans: Tensor) -> Tensor:
    """(..., 2) (center, width) -> (start, end)."""
    c, w = spans.unbind(-1)
    return torch.stack([c - w / 2, c + w / 2], dim=-1)


def se_to_cw(spans: Tensor) -> Tensor:
    """(..., 2) (start, end) -> (center, width)."""
    s, e = spans.unbind(-1)
    return torch.stack([(s + e) / 2, e - s], dim=-1)


def pairwise_iou(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """IoU and union of every pair of (N, 2) and (M, 2) (start, end) spans -> (N, M) each."""
    inter = (
        torch.min(a[:, None, 1], b[None, :, 1]) - torch.max(a[:, None, 0], b[None, :, 0])
    ).clamp(min=0)
    union = (a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :] - inter
    return inter / union.clamp(min=1e-12), union


def pairwise_giou(a: Tensor, b: Tensor) -> Tensor:
    """Generalised IoU of every pair of (N, 2) and (M, 2) (start, end) spans -> (N, M).

    gIoU = IoU - (|C| - |A u B|) / |C| with C the smallest span enclosing both; in [-1, 1].
    """
    iou, union = pairwise_iou(a, b)
    enclose = (
        torch.max(a[:, None, 1], b[None, :, 1]) - torch.min(a[:, None, 0], b[None, :, 0])
    ).clamp(min=1e-12)
    return iou - (enclose - union) / enclose


@torch.no_grad()
def hungarian_match(
    pred_cw: Tensor,
    fg_prob: Tensor,
    gt_se: Tensor,
    *,
    cost_span: float = 10.0,
    cost_giou: float = 1.0,
    cost_class: float = 4.0,
) -> tuple[Tensor, Tensor]:
    """Optimal one-to-one assignment of N predictions to K ground-truth spans (K <= N).

    cost = cost_span * L1(center, width) - cost_giou * gIoU - cost_class * p(foreground), the
    Moment-DETR matching cost, minimised by ``scipy.optimize.linear_sum_assignment``.
    Returns (pred_idx, gt_idx), both (K,) long, sorted by gt_idx.
    """
    k = gt_se.shape[0]
    if k == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty
    gt_se = gt_se.to(pred_cw)
    l1 = torch.cdist(pred_cw.float(), se_to_cw(gt_se).float(), p=1)  # (N, K)
    giou = pairwise_giou(cw_to_se(pred_cw.float()), gt_se.float())  # (N, K)
    cost = cost_span * l1 - cost_giou * giou - cost_class * fg_prob.float()[:, None]
    rows, cols = linear_sum_assignment(cost.cpu().numpy())
    order = cols.argsort()
    return torch.as_tensor(rows[order], dtype=torch.long), torch.as_tensor(
        cols[order], dtype=torch.long
    )
