"""The evaluation protocol as a composable part: a ``Record`` -> a sample dict of NumPy arrays.

A ``Protocol`` says which frames are kept (``frames``: every frame, a stride, a count or a rate),
how they are resized (``resize``: the full frame to a fixed size without crop, or the shorter side
plus a centre crop), which views a test sample expands into (``clips`` x ``crops``), and how
tracking queries are chosen (``query_mode``). ``Protocol.sample(record, view)`` decodes the
record's frames and rescales every annotation exactly once, from the record's source units to the
decoded frames: seconds stay seconds (``moments_seconds``, ``duration``: float64, never a float32
round trip), fractions of the window are derived from them, source pixels become output pixels.
The sample dict is the batch schema of docs/datasets.md without the batch axis (NumPy arrays;
``RecordDataset`` turns them into tensors).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sen_core.data.records import Record
from sen_core.errors import InputError

__all__ = ["Protocol", "clip_scores", "queries_first", "queries_strided"]

FrameMode = Literal["all", "stride", "count", "fps"]
ResizeMode = Literal["full", "short_crop", "none"]
QueryMode = Literal["first", "strided", "given"]


@dataclass(frozen=True)
class Protocol:
    """How a record becomes a sample.

    Attributes:
        frames: ``"all"`` (every source frame), ``"stride"`` (every ``stride``-th from frame 0),
            ``"count"`` (``num_frames`` segment centres over the window), ``"fps"`` (one frame
            every 1/``fps`` s).
        resize: ``"full"``: the whole frame to ``size`` (an int: size x size; or (H, W)) without
            crop, as TAP-Vid evaluates; ``"short_crop"``: shorter side to ``size`` then a crop of
            size x size (centre, or the view's crop); ``"none"``: source size.
        clips, crops: test views: ``clips`` temporal windows x ``crops`` spatial crops (1 or 3:
            left/top, centre, right/bottom along the longer side); each view is one sample with
            the same ids and a ``view`` index. ``clips > 1`` needs ``frames="count"``.
        query_mode: tracking queries: ``"first"`` (first visible frame of each track, tracks
            never visible dropped), ``"strided"`` (every ``query_stride``-th sampled frame, one
            query per point visible there), ``"given"`` (the record's ``query_points``).
        saliency_scale: per-frame ``saliency`` = mean annotator score of the frame's clip / this.
        strict_decode: a video file that decodes short is an error (else a warning).
    """

    frames: FrameMode = "count"
    num_frames: int = 8
    stride: int = 1
    fps: float | None = None
    resize: ResizeMode = "short_crop"
    size: int | tuple[int, int] = 224
    clips: int = 1
    crops: int = 1
    query_mode: QueryMode = "first"
    query_stride: int = 5
    saliency_scale: float = 4.0
    strict_decode: bool = False

    def __post_init__(self) -> None:
        if self.frames not in ("all", "stride", "count", "fps"):
            raise InputError(f"protocol frames must be all|stride|count|fps, got {self.frames!r}")
        if self.frames == "fps" and not (self.fps and self.fps > 0):
            raise InputError("protocol frames='fps' needs a positive fps")
        if self.resize not in ("full", "short_crop", "none"):
            raise InputError(f"protocol resize must be full|short_crop|none, got {self.resize!r}")
        if self.crops not in (1, 3):
            raise InputError(f"protocol crops must be 1 or 3, got {self.crops}")
        if self.clips > 1 and self.frames != "count":
            raise InputError("protocol clips > 1 needs frames='count'")
        if min(self.num_frames, self.stride, self.clips, self.query_stride) < 1:
            raise InputError("protocol num_frames, stride, clips, query_stride must be >= 1")
        if self.query_mode not in ("first", "strided", "given"):
            raise InputError(
                f"protocol query_mode must be first|strided|given, got {self.query_mode!r}"
            )

    @property
    def views(self) -> int:
        """Samples per record: clips x crops."""
        return self.clips * self.crops

    # ---- frames ----------------------------------------------------------------------------
    def indices(self, num_source: int, source_fps: float, clip: int = 0) -> np.ndarray:
        """Source frame indices kept for temporal view ``clip``.

        Args:
            num_source: frames in the source; source_fps: their rate; clip: the temporal view.
        """
        from sen_core.data.video import sample_indices

        if self.frames == "all":
            return np.arange(num_source, dtype=np.int64)
        if self.frames == "stride":
            return np.arange(0, num_source, self.stride, dtype=np.int64)
        if self.frames == "fps":
            return sample_indices(num_source, source_fps, fps=self.fps)
        if self.clips == 1:
            return sample_indices(num_source, source_fps, num_frames=self.num_frames)
        # clip c of C: the c-th of C equal windows, num_frames segment centres inside it
        span = num_source / self.clips
        lo = clip * span
        pos = lo + (np.arange(self.num_frames) + 0.5) * span / self.num_frames
        return np.clip(np.floor(pos).astype(np.int64), 0, num_source - 1)

    def geometry(
        self, width: int, height: int, crop: int = 0
    ) -> tuple[int, int, int, int, int, int]:
        """(resized w, resized h, crop left, crop top, out w, out h) for crop view ``crop``.

        Args:
            width, height: the source frame size; crop: the spatial view (0, 1, 2).
        """
        if self.resize == "none":
            return width, height, 0, 0, width, height
        if self.resize == "full":
            oh, ow = (self.size, self.size) if isinstance(self.size, int) else tuple(self.size)
            return int(ow), int(oh), 0, 0, int(ow), int(oh)
        if not isinstance(self.size, int):
            raise InputError("protocol resize='short_crop' needs an int size")
        s = self.size
        scale = s / min(width, height)
        rw, rh = max(s, round(width * scale)), max(s, round(height * scale))
        pos = 1 if self.crops == 1 else crop  # 0 left/top, 1 centre, 2 right/bottom
        left = (rw - s) * pos // 2
        top = (rh - s) * pos // 2
        return rw, rh, left, top, s, s

    def sample(self, record: Record, view: int = 0) -> dict[str, Any]:
        """The sample of ``record`` for test view ``view``, NumPy arrays in the batch schema.

        Args:
            record: the sample's record; view: clip * crops + crop (0 when there is one view).
        """
        clip, crop = divmod(view, self.crops)
        frames, idx, src_fps, (src_w, src_h), seconds = _decode(record, self, clip, crop)
        _check_length(record, seconds)
        rw, rh, left, top, ow, oh = self.geometry(src_w, src_h, crop)
        sx, sy = rw / src_w, rh / src_h
        out: dict[str, Any] = {
            "video": frames,
            "fps": _out_fps(self, idx, src_fps),
            "ids": dict(record.ids),
        }
        if self.views > 1:
            out["view"] = view
        for key in ("label", "caption", "question", "answer", "query"):
            value = getattr(record, key)
            if value is not None:
                out[key] = value
        if record.caption is None and record.captions:
            out["caption"] = record.captions[0]
        n_src = len(record.source.frames) if record.source.frames is not None else None
        if record.moments is not None or record.saliency is not None or record.duration is not None:
            _add_moments(out, record, idx, src_fps, self.saliency_scale)
        if record.tracks is not None:
            _add_tracks(out, record, idx, (sx, sy, left, top, ow, oh), self, n_src)
        return out


# ---- decoding -------------------------------------------------------------------------------------
def _resize_crop(img: Any, geom: tuple[int, int, int, int, int, int]) -> np.ndarray:
    from PIL import Image

    rw, rh, left, top, ow, oh = geom
    if img.size != (rw, rh):
        img = img.resize((rw, rh), Image.Resampling.BILINEAR)
    if (left, top, ow, oh) != (0, 0, rw, rh):
        img = img.crop((left, top, left + ow, top + oh))
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _check_length(record: Record, seconds: float | None) -> None:
    """A whole video file that decodes shorter than its annotated ``duration`` (by more than one
    clip, 2 s for QVHighlights, else 1 s) is an error: its windows and saliency clips would point
    past its last frame."""
    src = record.source
    if seconds is None or record.duration is None or src.start is not None or src.end is not None:
        return
    slack = float(record.clip_length or 1.0)
    if seconds + slack < float(record.duration):
        raise InputError(
            f"video {src.path} decodes to {seconds:.2f} s, shorter than its annotated duration "
            f"{float(record.duration):g} s (more than {slack:g} s short: a truncated download?)"
        )


def _decode(
    record: Record, p: Protocol, clip: int, crop: int
) -> tuple[np.ndarray, np.ndarray, float, tuple[int, int], float | None]:
    """(frames (T, H, W, 3) uint8, source indices, source fps, (source w, source h), seconds of
    the decoded source file (None for frames held in memory))."""
    from PIL import Image

    src = record.source
    if src.frames is not None:
        arr = src.frames
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise InputError(f"frames must be uint8 (T, H, W, 3), got {arr.dtype} {arr.shape}")
        fps = float(src.fps or 25.0)
        idx = p.indices(len(arr), fps, clip)
        h, w = arr.shape[1:3]
        geom = p.geometry(w, h, crop)
        if geom[:2] == (w, h) and geom[2:] == (0, 0, w, h):
            return np.ascontiguousarray(arr[idx]), idx, fps, (w, h), None
        frames = np.stack([_resize_crop(Image.fromarray(arr[i]), geom) for i in idx])
        return frames, idx, fps, (w, h), None
    if src.jpegs is not None:
        fps = float(src.fps or 25.0)
        idx = p.indices(len(src.jpegs), fps, clip)
        imgs = {}
        size = None
        for i in sorted(set(idx.tolist())):
            try:
                img = Image.open(io.BytesIO(src.jpegs[i]))
                img.load()
            except (OSError, ValueError, SyntaxError) as exc:  # PIL's errors for a bad image
                raise InputError(f"frame {i}: not a decodable image ({exc})") from None
            size = size or img.size
            imgs[i] = img
        assert size is not None
        geom = p.geometry(size[0], size[1], crop)
        frames = np.stack([_resize_crop(imgs[i], geom) for i in idx])
        return frames, idx, fps, size, None
    assert src.path is not None
    from sen_core.data.video import decode_video

    # every frame of the window at source size, then the protocol's choice (files are short here;
    # a count or rate lets decode_video seek instead)
    kw: dict[str, Any] = {"start": src.start, "end": src.end, "strict": p.strict_decode}
    if p.frames == "count" and p.clips == 1:
        kw["num_frames"] = p.num_frames
    elif p.frames == "fps":
        kw["fps"] = p.fps
    raw, info = decode_video(src.path, **kw)
    w, h = info["source_width"], info["source_height"]
    fps = float(src.fps or info["source_fps"])
    if "num_frames" in kw or "fps" in kw:
        idx = np.asarray(info["indices"], np.int64)
        sel = np.arange(len(raw))
    else:
        first = int(info["indices"][0])
        sel = p.indices(len(raw), fps, clip)
        idx = first + sel
    geom = p.geometry(w, h, crop)
    frames = np.stack([_resize_crop(Image.fromarray(raw[j]), geom) for j in sel])
    return frames, idx, fps, (w, h), float(info["source_duration"])


def _out_fps(p: Protocol, idx: np.ndarray, src_fps: float) -> float:
    if p.frames == "all":
        return src_fps
    if p.frames == "stride":
        return src_fps / p.stride
    if p.frames == "fps":
        return float(p.fps or src_fps)
    span = (int(idx[-1]) - int(idx[0]) + 1) if len(idx) > 1 else 1
    return len(idx) * src_fps / max(span, 1)


# ---- moments and saliency --------------------------------------------------------------------------
def clip_scores(
    frame_scores: np.ndarray, duration: float, clip_length: float, n_clips: int
) -> np.ndarray:
    """Per-frame scores of T frames spread evenly over ``duration`` s -> one score per clip.

    Clip c ([c L, (c + 1) L) s) takes the score of the frame on screen at its centre, frame
    floor((c + 0.5) L / duration * T) (clipped to the last frame). ``sen eval``'s moments meter
    and the QVHighlights prediction writer both use this, so both score the same numbers.

    Args:
        frame_scores: (T,); duration: seconds the frames span; clip_length: seconds per clip;
        n_clips: clips to score.
    """
    s = np.asarray(frame_scores, np.float64).reshape(-1)
    t = len(s)
    centres = (np.arange(n_clips) + 0.5) * clip_length / max(float(duration), 1e-9)
    picked: np.ndarray = s[np.clip(np.floor(centres * t).astype(np.int64), 0, t - 1)]
    return picked


def _add_moments(
    out: dict[str, Any], record: Record, idx: np.ndarray, src_fps: float, scale: float
) -> None:
    duration = float(record.duration) if record.duration is not None else None
    if duration is None:
        raise InputError("a record with moments or saliency needs its duration in seconds")
    out["duration"] = np.float64(duration)
    if record.moments is not None:
        m = np.asarray(record.moments, np.float64).reshape(-1, 2)
        bad = m[(m[:, 1] > duration + 1e-6) | (m[:, 0] < 0) | (m[:, 1] <= m[:, 0])]
        if len(bad):
            raise InputError(f"window {bad[0].tolist()} is not inside the video's {duration:g} s")
        out["moments_seconds"] = m
        out["moments"] = (m / duration).astype(np.float32)
    if record.saliency is not None:
        sal = np.asarray(record.saliency, np.float32)
        sal = sal.reshape(len(sal), -1)
        L = float(record.clip_length or 2.0)
        out["saliency_clips"] = sal
        out["clip_length"] = L
        # per-frame target: the clip on screen at each frame's time
        times = idx / src_fps
        c = np.clip(np.floor(times / L).astype(np.int64), 0, len(sal) - 1) if len(sal) else None
        out["saliency"] = (
            (sal[c].mean(-1) / scale).astype(np.float32)
            if c is not None
            else np.zeros(len(idx), np.float32)
        )


# ---- tracks ------------------------------------------------------------------------------------------
def queries_first(visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """'first' (TAP-Vid): (kept track indices, query frame of each): tracks never visible dropped.

    Args:
        visible: (N, T) bool.
    """
    keep = np.flatnonzero(visible.any(axis=1))
    return keep, np.argmax(visible[keep], axis=1)


def queries_strided(visible: np.ndarray, stride: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """'strided' (TAP-Vid): frames 0, stride, 2 stride, ...; each point visible there is a query.

    Returns (track index, query frame) per query, ordered by query frame then track, as the
    reference's ``sample_queries_strided`` concatenates them.

    Args:
        visible: (N, T) bool; stride: frames between query frames.
    """
    tracks, frames = [], []
    for t in range(0, visible.shape[1], stride):
        q = np.flatnonzero(visible[:, t])
        tracks.append(q)
        frames.append(np.full(len(q), t, np.int64))
    return np.concatenate(tracks).astype(np.int64), np.concatenate(frames)


def _add_tracks(
    out: dict[str, Any],
    record: Record,
    idx: np.ndarray,
    geom: tuple[float, float, int, int, int, int],
    p: Protocol,
    n_src: int | None,
) -> None:
    sx, sy, left, top, ow, oh = geom
    tr = np.asarray(record.tracks, np.float64)
    if tr.ndim != 3 or tr.shape[-1] != 2:
        raise InputError(f"tracks must be (N, T, 2), got {tr.shape}")
    occ = (
        np.zeros(tr.shape[:2], bool)
        if record.occluded is None
        else np.asarray(record.occluded, bool)
    )
    if occ.shape != tr.shape[:2]:
        raise InputError(f"occluded is {occ.shape}, tracks {tr.shape[:2]}")
    if n_src is not None and tr.shape[1] != n_src:
        raise InputError(
            f"the tracks have {tr.shape[1]} frames but the video has {n_src} "
            "(one point per source frame)"
        )
    if int(idx.max()) >= tr.shape[1]:
        raise InputError(
            f"the video has frame {int(idx.max())} but the tracks only {tr.shape[1]} frames"
        )
    xy = np.stack([tr[..., 0] * sx - left, tr[..., 1] * sy - top], -1)[:, idx]
    vis = ~occ[:, idx]
    if p.resize == "short_crop":
        vis &= (xy[..., 0] >= 0) & (xy[..., 0] < ow) & (xy[..., 1] >= 0) & (xy[..., 1] < oh)
    if p.query_mode == "given":
        if record.query_points is None:
            raise InputError("query_mode 'given' needs the record's query_points")
        qp = np.asarray(record.query_points, np.float64).reshape(-1, 3)
        where = {int(s): j for j, s in enumerate(idx)}
        missing = [int(t) for t in qp[:, 0] if round(float(t)) not in where]
        if missing:
            raise InputError(f"query frame {missing[0]} is not among the sampled frames")
        t = np.array([where[round(float(v))] for v in qp[:, 0]], np.float64)
        queries = np.stack([t, qp[:, 2] * sx - left, qp[:, 1] * sy - top], -1)
        track_idx = np.arange(len(qp))
    else:
        track_idx, qt = (
            queries_first(vis) if p.query_mode == "first" else queries_strided(vis, p.query_stride)
        )
        queries = np.stack(
            [qt.astype(np.float64), xy[track_idx, qt, 0], xy[track_idx, qt, 1]], -1
        ).reshape(-1, 3)
    out["tracks"] = xy[track_idx].astype(np.float32)
    out["visible"] = vis[track_idx]
    out["query_points"] = queries.astype(np.float32)
    # given queries (Kubric) lie anywhere in the clip: scored as 'strided' (every frame but the
    # query frame), as tapnet scores them
    out["query_mode"] = "first" if p.query_mode == "first" else "strided"
    out["track_index"] = track_idx.astype(np.int64)
