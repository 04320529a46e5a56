"""Prediction writers: one per task, each writes a benchmark's official submission layout.

A writer is made by ``WRITERS[task](path)``; ``write(preds, batch)`` is called once per batch
with that head's predictions and the batch (its ``ids``, masks and, on labelled splits, its
ground truth), and ``close()`` finishes the file. Writers stream: nothing of a batch is kept
after ``write`` returns. ``predict`` writes to a temporary name and renames it into place on
success, so a failed run leaves no partial file. Add one with ``register_writer(task)``.

Layouts:

- ``tracking`` -> ``.npz`` (TAP-Vid, tapnet's array layout at 256 x 256 raster coordinates), per
  video id ``V``: ``V/query_points`` (Q, 3) t, y, x; ``V/pred_tracks`` (Q, T, 2) x, y;
  ``V/pred_occluded`` (Q, T) bool; ``V/query_mode`` ('first' | 'strided'); with ground truth
  also ``V/target_points`` (Q, T, 2) and ``V/occluded`` (Q, T). ``compute_tapvid_metrics(
  q[None], occluded[None], target_points[None], pred_occluded[None], pred_tracks[None], mode)``
  per video, averaged over videos, is ``sen eval``'s AJ / delta_avg / OA.
- ``moments`` -> ``.jsonl`` (QVHighlights submission): per query ``{qid, query, vid,
  pred_relevant_windows: [[start, end, score], ...] (seconds, best first, at most max_windows),
  pred_saliency_scores: [one per 2-s clip, int(duration / 2) of them]}``; moment_detr's
  ``standalone_eval/eval.py`` on it gives ``sen eval``'s numbers (as percentages).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

__all__ = ["WRITERS", "PredictionWriter", "register_writer"]


class PredictionWriter:
    """Base: ``write(preds, batch)`` per batch, ``close()`` once; ``count`` samples written.

    ``shardable``: files written by several ranks over contiguous parts of a split can be joined
    by ``merge`` into the file one process writes (default: False; rank 0 then predicts alone
    under torchrun). The default ``merge`` concatenates the parts' bytes (line formats).
    """

    suffix = ""
    shardable = False

    def __init__(self, path: Path, head: Any = None) -> None:
        self.path, self.head, self.count = path, head, 0

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Write one batch.

        Args:
            preds: the head's predictions; batch: the batch they were computed on.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file."""

    @classmethod
    def merge(cls, parts: list[Path], out: Path) -> None:
        """Join the part files (in rank order) into ``out``.

        Args:
            parts: the ranks' files, rank 0 first; out: the file to write.
        """
        import shutil

        with out.open("wb") as dst:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)


WRITERS: dict[str, Callable[..., PredictionWriter]] = {}


def register_writer(task: str) -> Callable[[type[PredictionWriter]], type[PredictionWriter]]:
    """Class decorator: the writer of ``task`` (a head spec's ``task``).

    Args:
        task: the task name.
    """

    def deco(cls: type[PredictionWriter]) -> type[PredictionWriter]:
        WRITERS[task] = cls
        return cls

    return deco


def _np(x: Any) -> np.ndarray:
    return torch.as_tensor(x).detach().float().cpu().numpy() if x is not None else None  # type: ignore[return-value]


def _video_id(ids: dict[str, Any]) -> str:
    return str(ids.get("video", ids.get("video_id", next(iter(ids.values()), ""))))


@register_writer("tracking")
class TapVidWriter(PredictionWriter):
    """TAP-Vid predictions, one group of arrays per video, streamed into one ``.npz``."""

    suffix = ".npz"
    shardable = True

    @classmethod
    def merge(cls, parts: list[Path], out: Path) -> None:
        """Copy every part's arrays, in order, into one ``.npz``.

        Args:
            parts: the ranks' ``.npz`` files; out: the file to write.
        """
        import shutil

        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as dst:
            for part in parts:
                with zipfile.ZipFile(part) as src:
                    for entry in src.infolist():
                        with (
                            src.open(entry) as r,
                            dst.open(entry.filename, "w", force_zip64=True) as w,
                        ):
                            shutil.copyfileobj(r, w, 1 << 20)

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.threshold = float(getattr(head, "visibility_threshold", 0.5))

    def _put(self, name: str, arr: np.ndarray) -> None:
        with self._zip.open(name + ".npy", "w", force_zip64=True) as f:
            arr = np.ascontiguousarray(arr) if arr.ndim else arr  # (0-d stays 0-d)
            np.lib.format.write_array(f, arr, allow_pickle=False)

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Write one batch of videos (padding cut off by the masks).

        Args:
            preds: ``tracks``, ``visible_logits``, ``frame_size``; batch: ids, query_points, masks.
        """
        h, w = (int(v) for v in torch.as_tensor(preds["frame_size"]).tolist())
        s = np.array([256.0 / w, 256.0 / h])
        tracks = _np(preds["tracks"]).astype(np.float64) * s
        pvis = torch.as_tensor(preds["visible_logits"]).detach().float().sigmoid().cpu().numpy()
        qp = _np(batch["query_points"]).astype(np.float64)
        b, q, t = pvis.shape
        nq = _lengths(batch.get("point_mask"), b, q)
        nt = _lengths(batch.get("frame_mask"), b, t)
        modes = batch.get("query_mode") or [getattr(self.head, "query_mode", "strided")] * b
        has_gt = batch.get("tracks") is not None and batch.get("visible") is not None
        for i, ids in enumerate(batch["ids"]):
            v, k, f = _video_id(ids), nq[i], nt[i]
            query = np.stack([np.round(qp[i, :k, 0]), qp[i, :k, 2] * s[1], qp[i, :k, 1] * s[0]], -1)
            self._put(f"{v}/query_points", query)
            self._put(f"{v}/pred_tracks", tracks[i, :k, :f])
            self._put(f"{v}/pred_occluded", ~(pvis[i, :k, :f] > self.threshold))
            self._put(f"{v}/query_mode", np.array(str(modes[i])))
            if has_gt:
                gt = _np(batch["tracks"]).astype(np.float64)[i, :k, :f] * s
                self._put(f"{v}/target_points", gt)
                vis = torch.as_tensor(batch["visible"]).bool().cpu().numpy()[i, :k, :f]
                self._put(f"{v}/occluded", ~vis)
            self.count += 1

    def close(self) -> None:
        """Finish the zip directory."""
        self._zip.close()


def _lengths(mask: Any, b: int, n: int) -> list[int]:
    if mask is None:
        return [n] * b
    return [int(x) for x in torch.as_tensor(mask).sum(1).tolist()]


@register_writer("moments")
class QVHighlightsWriter(PredictionWriter):
    """QVHighlights submission lines (moment_detr's ``standalone_eval`` layout)."""

    suffix = ".jsonl"
    shardable = True  # one line per query: the parts concatenate

    def __init__(self, path: Path, head: Any = None) -> None:
        super().__init__(path, head)
        self._f: IO[str] = path.open("w", encoding="utf-8")
        self.max_windows = int(getattr(head, "max_windows", 10))

    def write(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        """Write one line per query.

        Args:
            preds: ``spans`` (center, width), ``logits``, ``saliency``; batch: ids, query, duration.
        """
        from sen_core.data import clip_scores

        spans = torch.as_tensor(preds["spans"]).detach().double().cpu()
        se = (
            torch.stack([spans[..., 0] - spans[..., 1] / 2, spans[..., 0] + spans[..., 1] / 2], -1)
            .clamp(0, 1)
            .numpy()
        )
        scores = torch.as_tensor(preds["logits"]).detach().float().softmax(-1)[..., 0].cpu().numpy()
        sal = torch.as_tensor(preds["saliency"]).detach().float().cpu().numpy()
        dur = torch.as_tensor(batch["duration"], dtype=torch.float64).cpu().numpy()
        dur = np.broadcast_to(dur, (len(se),))
        lengths = batch.get("clip_length") or [2.0] * len(se)
        for i, ids in enumerate(batch["ids"]):
            order = np.argsort(-scores[i], kind="stable")[: self.max_windows]
            windows = [
                [float(se[i, j, 0] * dur[i]), float(se[i, j, 1] * dur[i]), float(scores[i, j])]
                for j in order
            ]
            n_clips = int(dur[i] / float(lengths[i]))
            line = {
                **{k: _plain(v) for k, v in ids.items()},
                "query": (batch.get("query") or [""] * len(se))[i],
                "pred_relevant_windows": windows,
                "pred_saliency_scores": [
                    float(x) for x in clip_scores(sal[i], dur[i], float(lengths[i]), n_clips)
                ],
            }
            self._f.write(json.dumps(line) + "\n")
            self.count += 1

    def close(self) -> None:
        """Close the file."""
        self._f.close()


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
