"""Moment retrieval and highlight detection metrics (the QVHighlights protocol).

R1@0.5 / R1@0.7 (top-1 window against the best-overlapping ground-truth window), mAP over IoU
thresholds 0.5:0.05:0.95 with ActivityNet-style per-query average precision, and HIT@1 for
per-frame saliency. Spans are (start, end) fractions of the clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from sen_core.head import Meter

from ._common import resample_time
from .spans import cw_to_se, pairwise_iou

IOU_THRESHOLDS: tuple[float, ...] = tuple(
    round(0.5 + 0.05 * i, 2) for i in range(10)
)  # 0.5 .. 0.95


def _iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, 2) x (M, 2) -> (N, M) temporal IoU."""
    return pairwise_iou(
        torch.as_tensor(pred, dtype=torch.float64), torch.as_tensor(gt, dtype=torch.float64)
    )[0].numpy()


def interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the monotone (all-points interpolated) precision-recall curve, as ActivityNet."""
    mprec = np.hstack([[0.0], precision, [0.0]])
    mrec = np.hstack([[0.0], recall, [1.0]])
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0] + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def average_precision(
    pred: np.ndarray, scores: np.ndarray, gt: np.ndarray, iou_threshold: float
) -> float:
    """AP of one query's ranked windows against its ground-truth windows at one IoU threshold.

    Predictions are taken by descending score; each is a true positive if it overlaps a not yet
    matched ground-truth window with IoU >= threshold (the best-overlapping such window is
    consumed), else a false positive (ActivityNet ``compute_average_precision_detection``).
    """
    if len(gt) == 0:
        return 0.0
    if len(pred) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    ious = _iou(pred[order], gt)  # (N, M)
    used = np.zeros(len(gt), dtype=bool)
    tp = np.zeros(len(order))
    for i in range(len(order)):
        for j in np.argsort(-ious[i], kind="stable"):
            if ious[i, j] < iou_threshold:
                break
            if not used[j]:
                used[j] = True
                tp[i] = 1
                break
    ctp = np.cumsum(tp)
    precision = ctp / np.arange(1, len(tp) + 1)
    recall = ctp / len(gt)
    return interpolated_ap(precision, recall)


def r1_hits(
    pred: np.ndarray, scores: np.ndarray, gt: np.ndarray, thresholds: Sequence[float]
) -> dict[float, bool]:
    """Whether the top-1 window's IoU with its best-overlapping ground-truth window reaches each threshold."""
    if len(gt) == 0 or len(pred) == 0:
        return dict.fromkeys(thresholds, False)
    top = pred[int(np.argmax(scores))][None]
    best = float(_iou(top, gt).max())
    return {t: best >= t for t in thresholds}


def hit_at_1(saliency_pred: np.ndarray, saliency_gt: np.ndarray, threshold: float = 0.5) -> bool:
    """The frame with the highest predicted saliency is a positive frame (gt >= threshold)."""
    return bool(saliency_gt[int(np.argmax(saliency_pred))] >= threshold)


def saliency_from_moments(moments: Sequence[Tensor], frames: int) -> Tensor:
    """(B, T) binary saliency: frame t is positive if its centre (t + 0.5) / T lies in a moment."""
    centres = (torch.arange(frames, dtype=torch.float32) + 0.5) / frames
    rows = []
    for m in moments:
        m = torch.as_tensor(m, dtype=torch.float32).reshape(-1, 2)
        inside = (centres[None] >= m[:, :1]) & (centres[None] <= m[:, 1:])  # (K, T)
        rows.append(inside.any(0).float() if len(m) else torch.zeros(frames))
    return torch.stack(rows)


def moment_metrics(
    preds: Sequence[tuple[np.ndarray, np.ndarray]],
    gts: Sequence[np.ndarray],
    saliency: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    hit_threshold: float = 0.5,
    max_windows: int = 10,
) -> dict[str, float]:
    """QVHighlights metrics over queries.

    ``preds``: per query (windows (N, 2) start/end, scores (N,)); ``gts``: per query (K, 2) windows;
    queries without ground truth are skipped. ``saliency``: per query (predicted (T,), true (T,)).
    Only the ``max_windows`` best-scored windows of a query count (QVHighlights keeps 10).
    Returns fractions in [0, 1]: R1@0.5, R1@0.7, mAP (mean over 0.5:0.05:0.95), mAP@0.5,
    mAP@0.75, HIT@1.
    """
    r1 = {0.5: [], 0.7: []}
    ap = {t: [] for t in IOU_THRESHOLDS}
    for (win, sc), gt in zip(preds, gts, strict=True):
        if len(gt) == 0:
            continue
        keep = np.argsort(-sc, kind="stable")[:max_windows]
        win, sc = win[keep], sc[keep]
        for t, hit in r1_hits(win, sc, gt, (0.5, 0.7)).items():
            r1[t].append(hit)
        for t in IOU_THRESHOLDS:
            ap[t].append(average_precision(win, sc, gt, t))
    out: dict[str, float] = {}
    if r1[0.5]:
        out["R1@0.5"] = float(np.mean(r1[0.5]))
        out["R1@0.7"] = float(np.mean(r1[0.7]))
        per_t = {t: float(np.mean(v)) for t, v in ap.items()}
        out["mAP"] = float(np.mean(list(per_t.values())))
        out["mAP@0.5"] = per_t[0.5]
        out["mAP@0.75"] = per_t[0.75]
    if saliency:
        out["HIT@1"] = float(np.mean([hit_at_1(p, g, hit_threshold) for p, g in saliency]))
    return out


class MomentsMeter(Meter):
    """Keeps each query's windows, scores and saliency; computes the QVHighlights metrics."""

    def __init__(self, hit_threshold: float = 0.5, max_windows: int = 10) -> None:
        self.hit_threshold = hit_threshold
        self.max_windows = max_windows
        self.preds: list[tuple[np.ndarray, np.ndarray]] = []
        self.gts: list[np.ndarray] = []
        self.saliency: list[tuple[np.ndarray, np.ndarray]] = []

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        spans = cw_to_se(preds["spans"].detach().float()).clamp(0, 1).cpu().numpy()  # (B, N, 2)
        scores = (
            preds["logits"].detach().float().softmax(-1)[..., 0].cpu().numpy()
        )  # (B, N) foreground
        sal = preds["saliency"].detach().float().cpu()  # (B, T)
        moments = batch["moments"]
        if batch.get("saliency") is not None:
            sal_gt = resample_time(torch.as_tensor(batch["saliency"]).float().cpu(), sal.shape[1])
        else:
            sal_gt = saliency_from_moments(moments, sal.shape[1])
        for i in range(spans.shape[0]):
            self.preds.append((spans[i], scores[i]))
            self.gts.append(torch.as_tensor(moments[i], dtype=torch.float64).reshape(-1, 2).numpy())
            self.saliency.append((sal[i].numpy(), sal_gt[i].numpy()))

    def compute(self) -> dict[str, float]:
        return moment_metrics(
            self.preds, self.gts, self.saliency, self.hit_threshold, self.max_windows
        )
