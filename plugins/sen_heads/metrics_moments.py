"""Moment retrieval and highlight detection metrics (the QVHighlights protocol).

Matches moment_detr's ``standalone_eval/eval.py`` (jayleicn/moment_detr): R1@0.5 / R1@0.7 (top-1
window against the best-overlapping ground-truth window), mAP over IoU thresholds 0.5:0.05:0.95
with ActivityNet-style per-query average precision, HIT@1 (annotators combined by max) and HL-mAP
for per-clip saliency. Windows may be in any unit; seconds give the reference's exact IoU values.
Conventions and their reasons: docs/tasks.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from sen_core.data import clip_scores
from sen_core.network import Meter

from ._common import resample_time
from .spans import cw_to_se

IOU_THRESHOLDS: tuple[float, ...] = tuple(
    round(0.5 + 0.05 * i, 2) for i in range(10)
)  # 0.5 .. 0.95


def _iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, 2) x (M, 2) -> (N, M) temporal IoU, inter / (len_a + len_b - inter) as the reference."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    inter = np.clip(
        np.minimum(pred[:, None, 1], gt[None, :, 1]) - np.maximum(pred[:, None, 0], gt[None, :, 0]),
        0,
        None,
    )
    union = (pred[:, 1] - pred[:, 0])[:, None] + (gt[:, 1] - gt[:, 0])[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _paired_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two overlapping-or-not (2,) windows as the reference's R1 computes it.

    Its union is max(end) - min(start): the true union whenever the windows overlap and harmless
    otherwise (the intersection is 0), but it rounds differently, which matters at IoU == 0.5.
    """
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return float(inter / union) if union != 0 else 0.0


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

    Predictions are taken by descending score (ties keep input order); each is a true positive if
    it overlaps a not yet matched ground-truth window with IoU >= threshold, else a false
    positive. Ground-truth windows are tried by descending IoU and, among equal IoUs, the
    HIGHEST index first, as the reference's ``tiou_arr.argsort()[::-1]`` does.
    """
    if len(gt) == 0 or len(pred) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    ious = _iou(pred[order], gt)  # (N, M)
    used = np.zeros(len(gt), dtype=bool)
    tp = np.zeros(len(order))
    for i in range(len(order)):
        for j in np.argsort(ious[i], kind="stable")[::-1]:
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
    top = np.asarray(pred[int(np.argmax(scores))], np.float64)
    best = int(np.argmax(_iou(top[None], gt)[0]))  # first of equal IoUs, as the reference
    iou = _paired_iou(top, np.asarray(gt[best], np.float64))
    return {t: iou >= t for t in thresholds}


def _binary_saliency(gt: np.ndarray, threshold: float) -> np.ndarray:
    """(T,) or (T, A) graded saliency -> (T, A) float 0/1 (clip positive at >= threshold)."""
    g = np.asarray(gt, np.float64)
    return (g.reshape(len(g), -1) >= threshold).astype(np.float64)


def hit_at_1(saliency_pred: np.ndarray, saliency_gt: np.ndarray, threshold: float = 0.5) -> bool:
    """The clip with the highest predicted saliency is positive (gt >= threshold) for ANY annotator.

    ``saliency_gt`` is (T,) or (T, A) with one column per annotator (QVHighlights has three);
    the reference combines annotators by max.
    """
    binary = _binary_saliency(saliency_gt, threshold)
    return bool(binary[int(np.argmax(saliency_pred))].max() > 0)


def highlight_ap(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Average precision of one annotator's 0/1 clip labels ranked by predicted saliency.

    The reference's ``get_ap`` (Video2GIF evaluation, via scikit-learn's precision-recall curve):
    precision at each distinct score threshold, ordered from the lowest threshold up, made
    non-decreasing by a running max, averaged over the points where recall changes. All-negative
    labels give 0, all-positive 1.
    """
    y, s = np.asarray(y_true, np.float64), np.asarray(y_score, np.float64)
    if np.all(y == y[0]):
        return float(y[0] != 0)
    order = np.argsort(s, kind="stable")[::-1]
    y, s = y[order], s[order]
    cut = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each distinct score
    tps = np.cumsum(y)[cut]
    fps = 1 + cut - tps
    precision = np.r_[(tps / (tps + fps))[::-1], 1.0]
    recall = np.r_[(tps / tps[-1])[::-1], 0.0].astype(np.float32)  # float32 as the reference
    precision = np.maximum.accumulate(precision)
    return float(np.mean(precision[np.nonzero(np.diff(recall))[0]]))


def highlight_map(saliency_pred: np.ndarray, saliency_gt: np.ndarray, threshold: float) -> float:
    """Mean over annotators of ``highlight_ap`` for one query; gt (T,) or (T, A)."""
    binary = _binary_saliency(saliency_gt, threshold)
    return float(
        np.mean([highlight_ap(binary[:, a], saliency_pred) for a in range(binary.shape[1])])
    )


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

    ``preds``: per query (windows (N, 2) start/end, scores (N,)); ``gts``: per query (K, 2) windows
    in the same unit (seconds reproduce the reference's IoU exactly); queries without ground truth
    are skipped. ``saliency``: per query (predicted (T,), true (T,) or (T, A) with one column per
    annotator), a clip positive where true >= ``hit_threshold`` (QVHighlights: scores 0-4 with
    thresholds 2, 3, 4 for Fair, Good, VeryGood). Only the ``max_windows`` best-scored windows of a
    query count (QVHighlights keeps 10). Returns fractions in [0, 1]: R1@0.5, R1@0.7, mAP (mean
    over 0.5:0.05:0.95), mAP@0.5, mAP@0.75, HIT@1, HL-mAP.
    """
    r1: dict[float, list[bool]] = {0.5: [], 0.7: []}
    ap: dict[float, list[float]] = {t: [] for t in IOU_THRESHOLDS}
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
        out["HL-mAP"] = float(np.mean([highlight_map(p, g, hit_threshold) for p, g in saliency]))
    return out


class MomentsMeter(Meter):
    """Keeps each query's windows, scores and saliency; computes the QVHighlights metrics.

    When the batch carries ``duration`` ((B,) seconds, or one number), windows are scaled to
    seconds before IoU, as the reference evaluates them; otherwise they stay clip fractions.
    """

    state = ("preds", "gts", "saliency")

    def __init__(self, hit_threshold: float = 0.5, max_windows: int = 10) -> None:
        self.hit_threshold = hit_threshold
        self.max_windows = max_windows
        self.preds: list[tuple[np.ndarray, np.ndarray]] = []
        self.gts: list[np.ndarray] = []
        self.saliency: list[tuple[np.ndarray, np.ndarray]] = []

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        spans = cw_to_se(preds["spans"].detach().double()).clamp(0, 1).cpu().numpy()  # (B, N, 2)
        scores = (
            preds["logits"].detach().float().softmax(-1)[..., 0].cpu().numpy()
        )  # (B, N) foreground
        sal = preds["saliency"].detach().float().cpu()  # (B, T)
        moments = batch["moments"]
        n = spans.shape[0]
        dur = batch.get("duration")
        scale = (
            np.ones(n)
            if dur is None
            else np.broadcast_to(torch.as_tensor(dur, dtype=torch.float64).cpu().numpy(), (n,))
        )
        if batch.get("saliency") is not None:
            sal_gt = torch.as_tensor(batch["saliency"]).float().cpu()  # (B, T) or (B, T, A)
            if sal_gt.ndim == 3:  # resample each annotator's column along time
                sal_gt = resample_time(
                    sal_gt.transpose(1, 2).reshape(-1, sal_gt.shape[1]), sal.shape[1]
                )
                sal_gt = sal_gt.reshape(n, -1, sal.shape[1]).transpose(1, 2)
            else:
                sal_gt = resample_time(sal_gt, sal.shape[1])
        else:
            sal_gt = saliency_from_moments(moments, sal.shape[1])
        exact = batch.get("moments_seconds")  # float64 seconds as annotated (no round trip)
        clips = batch.get("saliency_clips")  # (B, C, A) graded per clip (QVHighlights)
        for i in range(n):
            if exact is not None:
                gt = torch.as_tensor(exact[i], dtype=torch.float64).reshape(-1, 2).cpu().numpy()
            else:
                gt = torch.as_tensor(moments[i], dtype=torch.float64).reshape(-1, 2).numpy()
                gt = gt * scale[i]
            self.preds.append((spans[i] * scale[i], scores[i]))
            self.gts.append(gt)
            if clips is not None:  # score per clip, as the official evaluation does
                k = int(torch.as_tensor(batch["clip_mask"])[i].sum())
                length = float((batch.get("clip_length") or [2.0] * n)[i])
                per_clip = clip_scores(sal[i].numpy(), float(scale[i]), length, k)
                g = torch.as_tensor(clips[i]).float().cpu().numpy()[:k]
                self.saliency.append((per_clip, g))
            else:
                self.saliency.append((sal[i].numpy(), sal_gt[i].numpy()))

    def compute(self) -> dict[str, float]:
        return moment_metrics(
            self.preds, self.gts, self.saliency, self.hit_threshold, self.max_windows
        )
