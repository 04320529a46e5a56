"""Pictures of predictions (``sen predict --visualize DIR``): what a researcher looks at first.

One visualizer per task, made by ``VISUALIZERS[task](head, limit)``: ``add(preds, batch)`` keeps
the first ``limit`` samples (small NumPy copies), ``draw(folder)`` writes their pictures and
returns the paths. ``predict`` draws only after the predictions file is complete.

- ``tracking``: ``{video}_tracks.png``, a strip of up to 6 frames with every query's predicted
  point (filled circle: predicted visible, hollow: predicted occluded) and true point (+, where
  visible) joined by a line, one colour per track (strided queries of one track share it); ``{video}_tracks.gif``, every frame.
- ``moments``: ``{qid}_moments.png``, the true windows and the top 5 predicted windows (with
  scores) on a timeline in seconds, and below it the per-2-s-clip saliency: the annotators' mean
  score and the predicted score.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["VISUALIZERS"]

_COLOURS = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
]  # fmt: skip


def _np(x: Any) -> np.ndarray:
    return torch.as_tensor(x).detach().float().cpu().numpy()


def _name(ids: dict[str, Any]) -> str:
    raw = "_".join(str(v.item() if hasattr(v, "item") else v) for v in ids.values()) or "sample"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:80]


def _lengths(mask: Any, b: int, n: int) -> list[int]:
    if mask is None:
        return [n] * b
    return [int(x) for x in torch.as_tensor(mask).sum(1).tolist()]


class _Tracks:
    """Predicted vs true point tracks drawn on the frames (PNG strip + GIF)."""

    def __init__(self, head: Any = None, limit: int = 4) -> None:
        self.threshold = float(getattr(head, "visibility_threshold", 0.5))
        self.limit, self.samples = limit, []  # type: ignore[var-annotated]

    def add(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        if len(self.samples) >= self.limit:
            return
        video = torch.as_tensor(batch["video"]).cpu().numpy()
        b, t, h, w = video.shape[:4]
        fh, fw = (float(v) for v in torch.as_tensor(preds["frame_size"]).tolist())
        tracks = _np(preds["tracks"]) * np.array([w / fw, h / fh])
        pvis = _np(preds["visible_logits"])
        pvis = 1 / (1 + np.exp(-pvis)) > self.threshold
        gt = _np(batch["tracks"]) * np.array([w / fw, h / fh]) if "tracks" in batch else None
        vis = torch.as_tensor(batch["visible"]).bool().cpu().numpy() if "visible" in batch else None
        nq = _lengths(batch.get("point_mask"), b, tracks.shape[1])
        nt = _lengths(batch.get("frame_mask"), b, t)
        index = batch.get("track_index")  # queries of the same track share a colour
        index = None if index is None else torch.as_tensor(index).cpu().numpy()
        for i, ids in enumerate(batch["ids"][: self.limit - len(self.samples)]):
            q, f = nq[i], nt[i]
            self.samples.append(
                {
                    "name": _name(ids),
                    "track": np.arange(q) if index is None else index[i, :q],
                    "video": video[i, :f],
                    "pred": tracks[i, :q, :f],
                    "pred_vis": pvis[i, :q, :f],
                    "gt": None if gt is None else gt[i, :q, :f],
                    "gt_vis": None if vis is None else vis[i, :q, :f],
                }
            )

    def draw(self, folder: Path) -> list[Path]:
        return [p for s in self.samples for p in _draw_tracks(s, folder)]


def _frames_with_tracks(s: dict[str, Any]) -> list[Any]:
    """Every frame as a PIL image (upscaled to >= 256 px) with the points drawn on it."""
    from PIL import Image, ImageDraw

    video, pred, pvis, gt, gvis = s["video"], s["pred"], s["pred_vis"], s["gt"], s["gt_vis"]
    scale = max(1, int(np.ceil(256 / min(video.shape[1:3]))))
    r = 4
    out = []
    for t, frame in enumerate(video):
        img = Image.fromarray(frame).resize(
            (frame.shape[1] * scale, frame.shape[0] * scale), Image.Resampling.NEAREST
        )
        d = ImageDraw.Draw(img)
        for q in range(len(pred)):
            c = _COLOURS[int(s["track"][q]) % len(_COLOURS)]
            x, y = pred[q, t] * scale
            g = None if gt is None or not gvis[q, t] else gt[q, t] * scale
            if g is not None:
                d.line([(x, y), (g[0], g[1])], fill=c, width=1)
                d.line([(g[0] - r, g[1]), (g[0] + r, g[1])], fill=c, width=2)
                d.line([(g[0], g[1] - r), (g[0], g[1] + r)], fill=c, width=2)
            box = [(x - r, y - r), (x + r, y + r)]
            if pvis[q, t]:
                d.ellipse(box, fill=c, outline=(0, 0, 0))
            else:
                d.ellipse(box, outline=c, width=2)
        out.append(img)
    return out


def _draw_tracks(s: dict[str, Any], folder: Path) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    frames = _frames_with_tracks(s)
    gif = folder / f"{s['name']}_tracks.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=200, loop=0)
    picks = np.unique(np.linspace(0, len(frames) - 1, min(6, len(frames))).round().astype(int))
    fig = Figure(figsize=(2.4 * len(picks), 3.1), dpi=100)
    FigureCanvasAgg(fig)
    for k, t in enumerate(picks):
        ax = fig.add_subplot(1, len(picks), k + 1)
        ax.imshow(np.asarray(frames[t]))
        ax.set_title(f"frame {t}", fontsize=9)
        ax.axis("off")
    grey = "0.3"
    handles = [
        Line2D([], [], ls="", marker="o", color=grey, mec="k", label="predicted (visible)"),
        Line2D([], [], ls="", marker="o", mfc="none", color=grey, label="predicted (occluded)"),
    ]
    if s["gt"] is not None:
        handles.append(Line2D([], [], ls="", marker="+", ms=9, mew=2, color=grey, label="true"))
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=8, frameon=False)
    what = f"{len(s['pred'])} queries of {len(set(s['track'].tolist()))} tracks, colour = track"
    fig.suptitle(f"{s['name']}: {what}", x=0.01, ha="left", fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.80, wspace=0.04)
    png = folder / f"{s['name']}_tracks.png"
    fig.savefig(png, format="png")
    return [png, gif]


class _Moments:
    """True vs predicted windows on a timeline, with the saliency curve under it."""

    def __init__(self, head: Any = None, limit: int = 4) -> None:
        self.limit, self.samples = limit, []  # type: ignore[var-annotated]

    def add(self, preds: dict[str, Any], batch: dict[str, Any]) -> None:
        if len(self.samples) >= self.limit:
            return
        from sen_core.data import clip_scores

        spans = _np(preds["spans"]).astype(np.float64)
        scores = torch.as_tensor(preds["logits"]).detach().float().softmax(-1)[..., 0].cpu()
        sal = _np(preds["saliency"])
        dur = np.broadcast_to(_np(batch["duration"]).astype(np.float64), (len(spans),))
        lengths = batch.get("clip_length") or [2.0] * len(spans)
        gts = batch.get("moments_seconds")
        gsal = batch.get("saliency_clips")
        for i, ids in enumerate(batch["ids"][: self.limit - len(self.samples)]):
            n_clips = int(dur[i] / float(lengths[i]))
            order = np.argsort(-scores[i].numpy(), kind="stable")[:5]
            se = np.stack(
                [spans[i, :, 0] - spans[i, :, 1] / 2, spans[i, :, 0] + spans[i, :, 1] / 2]
            )
            windows = np.clip(se.T, 0, 1) * dur[i]
            self.samples.append(
                {
                    "name": _name(ids),
                    "query": (batch.get("query") or [""] * len(spans))[i],
                    "duration": float(dur[i]),
                    "clip": float(lengths[i]),
                    "pred": [(*windows[j], float(scores[i, j])) for j in order],
                    "pred_sal": clip_scores(sal[i], dur[i], float(lengths[i]), n_clips),
                    "gt": None if gts is None else _np(gts[i]).reshape(-1, 2),
                    "gt_sal": None if gsal is None else _np(gsal[i])[:n_clips].mean(-1),
                }
            )

    def draw(self, folder: Path) -> list[Path]:
        return [_draw_moments(s, folder) for s in self.samples]


def _draw_moments(s: dict[str, Any], folder: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.2), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.3, 1]})
    rows = [("ground truth", s["gt"], "tab:green", 0.8)] if s["gt"] is not None else []
    for k, (a, b, score) in enumerate(s["pred"]):  # darker = higher score
        rows.append((f"pred {k + 1} ({score:.2f})", [(a, b)], "tab:blue", 0.3 + 0.6 * score))
    for y, (_, wins, colour, alpha) in enumerate(rows):
        bars = [(a, b - a) for a, b in wins]
        top.broken_barh(bars, (y - 0.35, 0.7), color=colour, alpha=alpha)
    top.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    top.set_ylim(len(rows) - 0.5, -0.5)
    top.grid(axis="x", alpha=0.3)
    top.set_title("moments (seconds)", fontsize=9, loc="left")
    top.tick_params(labelbottom=True)
    centres = (np.arange(len(s["pred_sal"])) + 0.5) * s["clip"]
    twin = bottom
    if s["gt_sal"] is not None:  # true scores 0-4 on the left, predicted (logits) on the right
        bottom.bar(centres, s["gt_sal"], width=s["clip"] * 0.9, color="tab:green", alpha=0.45,
                   label="true (annotators' mean, 0-4)")  # fmt: skip
        bottom.set_ylabel("true score", fontsize=8)
        bottom.set_ylim(0, 4.4)
        twin = bottom.twinx()
    twin.plot(centres, s["pred_sal"], color="tab:blue", marker=".", label="predicted")
    twin.set_ylabel("predicted score", fontsize=8)
    handles = bottom.get_legend_handles_labels()[0]
    if twin is not bottom:
        handles += twin.get_legend_handles_labels()[0]
    bottom.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2,
                  fontsize=8, frameon=False)  # fmt: skip
    bottom.set_title("saliency per 2-s clip", fontsize=9, loc="left")
    bottom.set_xlabel("time (s)", fontsize=9)
    bottom.set_xlim(0, s["duration"])
    for ax in {top, bottom, twin}:
        ax.tick_params(labelsize=8)
    query = textwrap.shorten(str(s["query"]), 110)
    fig.suptitle(f"{s['name']}: {query}", x=0.01, ha="left", fontsize=10)
    fig.subplots_adjust(left=0.14, right=0.92, top=0.89, bottom=0.1, hspace=0.45)
    path = folder / f"{s['name']}_moments.png"
    fig.savefig(path, format="png")
    return path


VISUALIZERS: dict[str, Callable[..., Any]] = {"tracking": _Tracks, "moments": _Moments}
