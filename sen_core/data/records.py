"""What a benchmark reader produces: one ``Record`` per sample, in the benchmark's own units.

A reader turns an official file layout into records and nothing else (PyTorchVideo's split:
the benchmark lists samples, the shared core decodes and samples them). A record keeps the source's
units -- seconds, source pixels, every source frame -- and the sample's official ids, so a protocol
can sample frames and rescale annotations exactly once, and predictions can be written back under
the ids the official scorer expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Record", "Source"]


@dataclass(frozen=True)
class Source:
    """Where a sample's frames come from: exactly one of a video file, decoded frames, or JPEGs.

    Attributes:
        path: a video file (decoded with PyAV).
        frames: decoded frames, uint8 (T, H, W, 3) (TAP-Vid DAVIS / RGB-Stacking pickles; Kubric
            exports, converted from [-1, 1] by the reader).
        jpegs: one encoded image per frame (TAP-Vid-Kinetics shards).
        fps: the frame rate of ``frames`` / ``jpegs``, or an override for ``path`` (None: the
            container's rate).
        start, end: the window inside ``path`` in seconds (None: the whole file).
    """

    path: Path | None = None
    frames: np.ndarray | None = None
    jpegs: tuple[bytes, ...] | None = None
    fps: float | None = None
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        given = [n for n in ("path", "frames", "jpegs") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"a Source needs exactly one of path, frames, jpegs; got {given}")


@dataclass(frozen=True)
class Record:
    """One sample of a benchmark split, annotations in source units.

    Attributes:
        ids: the sample's official ids (``{"qid": 7, "vid": "..."}``, ``{"video_id": "video7020"}``,
            ``{"video": "bear"}``), written back into every prediction of the sample.
        source: where its frames come from.
        label: class index in the split's fixed vocabulary (the dataset's ``class_names``).
        caption: the caption of this sample; ``captions``: every caption of the video (a train
            sampler may draw one per epoch, as CLIP4Clip does).
        question, answer: video QA; ``query``: a moment-retrieval query.
        duration: the video's length in seconds (QVHighlights' ``duration``).
        moments: (K, 2) float64 (start, end) in seconds.
        saliency: (n_clips, A) float32 graded scores of A annotators per ``clip_length``-second
            clip; rows of clips nobody annotated are 0 (QVHighlights: A = 3, scores 0-4).
        clip_length: seconds per saliency clip (2.0 for QVHighlights).
        tracks: (N, T_src, 2) float32 (x, y) in source pixels, one row per source frame.
        occluded: (N, T_src) bool.
        query_points: (N, 3) float32 (t, y, x): source frame index and source pixels, when the
            benchmark gives them (Kubric); else the protocol derives them (TAP-Vid 'first' /
            'strided').
        extra: anything else a writer needs, by name.
    """

    ids: Mapping[str, Any]
    source: Source
    label: int | None = None
    caption: str | None = None
    captions: tuple[str, ...] = ()
    question: str | None = None
    answer: str | None = None
    query: str | None = None
    duration: float | None = None
    moments: np.ndarray | None = None
    saliency: np.ndarray | None = None
    clip_length: float | None = None
    tracks: np.ndarray | None = None
    occluded: np.ndarray | None = None
    query_points: np.ndarray | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
