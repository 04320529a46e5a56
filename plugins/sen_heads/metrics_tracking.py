"""Point-tracking metrics: the TAP-Vid metrics (OA, delta_avg, AJ) and temporal coherence (TC).

Follows ``compute_tapvid_metrics`` of google-deepmind/tapnet and OmniMotion's
``eval_temporal_coherence``: positions are rescaled to a 256 x 256 frame, each video gets its own
metrics (NaN when it has nothing to score), and the dataset value is the mean over videos that
have a number. Tracks are (Q, T, 2) pixel (x, y); visibility (Q, T) bool; query points (Q, 3) as
(t, x, y). Conventions: docs/tasks.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from sen_core.network import Meter

THRESHOLDS: tuple[int, ...] = (1, 2, 4, 8, 16)  # pixels at 256 x 256
EVAL_SIZE = 256


def eval_mask(query_frames: np.ndarray, frames: int, query_mode: str = "strided") -> np.ndarray:
    """(Q, T) bool: which frames count for each query.

    'strided' (TAP-Vid for queries anywhere in the clip): every frame except the query frame;
    'first': only frames after the query frame.
    """
    t = np.arange(frames)[None, :]
    q = np.round(query_frames).astype(np.int64)[:, None]
    if query_mode == "strided":
        return t != q
    if query_mode == "first":
        return t > q
    raise ValueError(f"query_mode must be 'strided' or 'first', got {query_mode!r}")


def to_eval_scale(tracks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(..., 2) pixel (x, y) in a frame of ``size`` = (H, W) -> pixels of a 256 x 256 frame."""
    h, w = size
    return tracks * np.array([EVAL_SIZE / w, EVAL_SIZE / h])


def tapvid_video_metrics(
    query_points: np.ndarray,
    gt_tracks: np.ndarray,
    gt_visible: np.ndarray,
    pred_tracks: np.ndarray,
    pred_visible: np.ndarray,
    query_mode: str = "strided",
) -> dict[str, float]:
    """TAP-Vid metrics of ONE video; positions must already be at 256 x 256 scale.

    OA: fraction of evaluated (query, frame) pairs whose predicted visibility equals the truth.
    delta_x: fraction of ground-truth-visible evaluated points predicted within x px (strictly
    less, Euclidean); delta_avg: their mean over x in 1, 2, 4, 8, 16.
    Jaccard_x = TP / (TP + FP + FN) with TP visible, predicted visible and within x; FP predicted
    visible but occluded or farther than x; FN = ground-truth-visible points not TP. AJ: mean over x.
    Empty cases as the reference's 0 / 0: OA is NaN without an evaluated point, delta without a
    visible one, Jaccard when there is neither a visible point nor a false positive (so a video
    whose points are all occluded but predicted visible scores Jaccard 0).
    """
    ev = eval_mask(query_points[:, 0], gt_tracks.shape[1], query_mode)  # (Q, T)
    vis, pvis = gt_visible.astype(bool), pred_visible.astype(bool)
    n_ev = np.sum(ev)
    out = {"OA": float(np.sum((vis == pvis) & ev) / n_ev) if n_ev else float("nan")}
    n_vis = np.sum(vis & ev)
    dist2 = np.sum(np.square(pred_tracks - gt_tracks), axis=-1)  # (Q, T)
    deltas, jaccards = [], []
    for thr in THRESHOLDS:
        within = dist2 < thr**2
        correct = within & vis
        frac = np.sum(correct & ev) / n_vis if n_vis else np.nan
        tp = np.sum(correct & pvis & ev)
        fp = np.sum(((~vis) | (~within)) & pvis & ev)
        jac = tp / (n_vis + fp) if n_vis + fp else np.nan
        out[f"delta_{thr}"] = float(frac)
        out[f"jaccard_{thr}"] = float(jac)
        deltas.append(frac)
        jaccards.append(jac)
    out["delta_avg"] = float(np.mean(deltas))
    out["AJ"] = float(np.mean(jaccards))
    return out


def _acceleration(tracks: np.ndarray) -> np.ndarray:
    """(Q, T, 2) -> (Q, T-2, 2) second difference p[t+1] - 2 p[t] + p[t-1]."""
    return tracks[:, 2:] - 2 * tracks[:, 1:-1] + tracks[:, :-2]


def _visible_triples(gt_visible: np.ndarray) -> np.ndarray:
    """(Q, T) -> (Q, T-2) bool: the point is visible in the truth at t-1, t and t+1."""
    v = gt_visible.astype(bool)
    return v[:, 2:] & v[:, 1:-1] & v[:, :-2]


def temporal_coherence(
    pred_tracks: np.ndarray, gt_tracks: np.ndarray, gt_visible: np.ndarray
) -> float:
    """TC of ONE video: mean of |a_pred - a_gt| over (query, t) visible in the truth at t-1, t, t+1.

    a = p[t+1] - 2 p[t] + p[t-1] (256-scale px), so TC is the error of the predicted acceleration,
    0 for a perfect prediction however the point moves; lower is better. NaN when no triple is
    visible (or T < 3). OmniMotion's ``eval_temporal_coherence``, used by CaDeX++ and SEN's paper.
    """
    if pred_tracks.shape[1] < 3:
        return float("nan")
    keep = _visible_triples(gt_visible)
    if not keep.any():
        return float("nan")
    err = np.linalg.norm(_acceleration(pred_tracks) - _acceleration(gt_tracks), axis=-1)
    return float(err[keep].sum() / keep.sum())


def predicted_acceleration(pred_tracks: np.ndarray, gt_visible: np.ndarray) -> tuple[float, int]:
    """Sum and count of |a_pred| (256-scale px) over triples visible in the truth.

    Their ratio, pooled over the set, is ``pred_accel``: how jerky the predicted trajectories are
    regardless of the truth (a perfect track of an accelerating point scores > 0). Not TC.
    """
    if pred_tracks.shape[1] < 3:
        return 0.0, 0
    keep = _visible_triples(gt_visible)
    norm = np.linalg.norm(_acceleration(pred_tracks), axis=-1)
    return float(norm[keep].sum()), int(keep.sum())


def entry_mask(batch: dict[str, Any], shape: tuple[int, ...], device: Any = None) -> Tensor:
    """(B, Q, T) bool: real (query, frame) entries; padding from ``point_mask`` / ``frame_mask``."""
    b, q, t = shape
    real = torch.ones((b, q, t), dtype=torch.bool, device=device)
    if batch.get("point_mask") is not None:
        real = real & torch.as_tensor(batch["point_mask"], device=device).bool()[:, :, None]
    if batch.get("frame_mask") is not None:
        real = real & torch.as_tensor(batch["frame_mask"], device=device).bool()[:, None, :]
    return real


def _nanmean(values: list[float]) -> float:
    """Mean over the non-NaN values; NaN when all are NaN (no warning)."""
    a = np.asarray(values, np.float64)
    return float(a[~np.isnan(a)].mean()) if (~np.isnan(a)).any() else float("nan")


class TrackingMeter(Meter):
    """Per-video TAP-Vid metrics and TC averaged over videos, plus the pooled ``pred_accel``.

    Keys: OA, delta_{1,2,4,8,16}, delta_avg, jaccard_{1,2,4,8,16}, AJ, TC, pred_accel.
    """

    state = ("videos", "acc_sum", "acc_n")
    ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "pred_accel": (0.0, float("inf")),
        "TC": (0.0, float("inf")),
    }

    def __init__(self, query_mode: str = "strided", visibility_threshold: float = 0.5) -> None:
        self.query_mode = query_mode
        self.visibility_threshold = visibility_threshold
        self.videos: list[dict[str, float]] = []
        self.acc_sum, self.acc_n = 0.0, 0

    def update(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        size = (
            tuple(preds["frame_size"].tolist())
            if "frame_size" in preds
            else tuple(batch["video"].shape[2:4])
        )
        tracks = to_eval_scale(
            preds["tracks"].detach().double().cpu().numpy(), size
        )  # (B, Q, T, 2)
        pvis = (
            (preds["visible_logits"].detach().float().sigmoid() > self.visibility_threshold)
            .cpu()
            .numpy()
        )
        gt = to_eval_scale(torch.as_tensor(batch["tracks"]).double().numpy(), size)
        gvis = torch.as_tensor(batch["visible"]).bool().numpy()
        qp = torch.as_tensor(batch["query_points"]).float().numpy()
        b, q, t = gvis.shape
        pm = batch.get("point_mask")
        fm = batch.get("frame_mask")
        nq = torch.as_tensor(pm).sum(1).tolist() if pm is not None else [q] * b
        nt = torch.as_tensor(fm).sum(1).tolist() if fm is not None else [t] * b
        modes = batch.get("query_mode") or [self.query_mode] * b  # the dataset's protocol wins
        for i in range(b):
            k, f = int(nq[i]), int(nt[i])  # padded queries and frames are cut off
            tr, g, gv, pv = tracks[i, :k, :f], gt[i, :k, :f], gvis[i, :k, :f], pvis[i, :k, :f]
            m = tapvid_video_metrics(qp[i, :k], g, gv, tr, pv, modes[i])
            m["TC"] = temporal_coherence(tr, g, gv)
            self.videos.append(m)
            s, n = predicted_acceleration(tr, gv)
            self.acc_sum += s
            self.acc_n += n

    def compute(self) -> dict[str, float]:
        if not self.videos:
            return {}
        out = {k: _nanmean([v[k] for v in self.videos]) for k in self.videos[0]}
        out["pred_accel"] = self.acc_sum / self.acc_n if self.acc_n else float("nan")
        return out


def tapvid_metrics(
    query_points: Tensor,
    gt_tracks: Tensor,
    gt_visible: Tensor,
    pred_tracks: Tensor,
    pred_visible: Tensor,
    frame_size: tuple[int, int],
    query_mode: str = "strided",
) -> dict[str, float]:
    """Batched convenience: (B, Q, 3), (B, Q, T, 2), (B, Q, T), ... at pixel scale of ``frame_size`` (H, W)."""
    m = TrackingMeter(query_mode)
    logits = torch.where(torch.as_tensor(pred_visible).bool(), 10.0, -10.0)
    m.update(
        {
            "tracks": torch.as_tensor(pred_tracks),
            "visible_logits": logits,
            "frame_size": torch.tensor(frame_size),
        },
        {"tracks": gt_tracks, "visible": gt_visible, "query_points": query_points},
    )
    return m.compute()
