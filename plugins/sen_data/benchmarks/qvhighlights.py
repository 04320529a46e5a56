"""QVHighlights reader: ``highlight_{split}_release.jsonl`` + ``videos/{vid}.mp4`` -> Records.

Layout (jayleicn/moment_detr ``data/README.md``): one JSON object per line, ``qid``, ``query``,
``duration`` (s), ``vid`` ``{ytid}_{start}_{end}``, and on labelled splits ``relevant_windows``
[[start, end]] seconds, ``relevant_clip_ids`` (2-s clips) and ``saliency_scores`` [[a1, a2, a3]]
0-4 per relevant clip. Saliency becomes (int(duration / 2), 3) graded scores, 0 for clips
nobody annotated, as ``standalone_eval/eval.py`` (``mk_gt_scores``) builds it; windows stay exact
seconds. The test split has no labels: its samples carry no moments (``sen predict`` works).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sen_core.data import Protocol, Record, RecordDataset, Source, loads_json
from sen_core.errors import InputError
from sen_core.specs import DatasetSpec

from .._params import parse_params

CLIP_LENGTH = 2.0


class QVHighlightsParams(BaseModel):
    """Parameters of ``sen/qvhighlights-data@1``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: str = Field(description="folder with the jsonl files and the videos")
    annotations: str = Field(default="highlight_{split}_release.jsonl")
    videos: str = Field(default="videos/{vid}.mp4", description="video path; '{vid}' replaced")
    frames: int = Field(default=32, ge=1, description="frames spread over each video")
    image_size: int = Field(default=224, ge=8, description="shorter side + centre crop")
    max_samples: int | None = Field(default=None, ge=1)


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _line(rec: Any, where: str, root: Path, videos: str) -> Record:
    if not isinstance(rec, dict):
        raise InputError(f"{where}: expected a JSON object")
    missing = [k for k in ("qid", "query", "duration", "vid") if k not in rec]
    if missing:
        hint = " (not a QVHighlights line: wrong benchmark's file?)" if len(missing) > 1 else ""
        raise InputError(f"{where}: missing key(s) {', '.join(missing)}{hint}")
    qid, dur = rec["qid"], rec["duration"]
    at = f"{where} (qid {qid})"
    if not _num(dur) or dur <= 0:
        raise InputError(f"{at}: duration must be positive seconds, got {dur!r}")
    path = root / videos.replace("{vid}", str(rec["vid"]))
    if not path.is_file():
        raise InputError(f"{at}: video not found: {path}")
    moments = saliency = None
    if "relevant_windows" in rec:
        w = rec["relevant_windows"]
        if not (
            isinstance(w, list)
            and all(isinstance(s, list) and len(s) == 2 and all(_num(x) for x in s) for s in w)
        ):
            raise InputError(f"{at}: relevant_windows must be [[start, end], ...] seconds")
        moments = np.asarray(w, np.float64).reshape(-1, 2)
        late = moments[moments[:, 1] > dur]
        if len(late):
            raise InputError(f"{at}: window {late[0].tolist()} ends after the video's {dur} s")
        n_clips = int(dur / CLIP_LENGTH)
        ids, scores = rec.get("relevant_clip_ids", []), rec.get("saliency_scores", [])
        if len(ids) != len(scores):
            raise InputError(
                f"{at}: {len(ids)} relevant_clip_ids but {len(scores)} saliency_scores"
            )
        saliency = np.zeros((n_clips, 3), np.float32)
        for c, s in zip(ids, scores, strict=True):
            if not isinstance(c, int) or not 0 <= c < n_clips:
                raise InputError(f"{at}: clip id {c!r} is outside the video's {n_clips} clips")
            if not (isinstance(s, list) and len(s) == 3 and all(_num(x) for x in s)):
                raise InputError(f"{at}: saliency_scores entries must be 3 scores, got {s!r}")
            saliency[c] = s
    return Record(
        ids={"qid": qid, "vid": rec["vid"]},
        source=Source(path=path),
        query=str(rec["query"]),
        duration=float(dur),
        moments=moments,
        saliency=saliency,
        clip_length=CLIP_LENGTH,
    )


def read_qvhighlights(path: Path, root: Path, videos: str) -> list[Record]:
    """The records of one jsonl file (one-line errors name the file, line and qid)."""
    if not path.is_file():
        raise InputError(f"sen/qvhighlights-data@1: annotation file not found: {path}")
    records, seen = [], set()
    for n, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            rec = loads_json(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc})") from None
        r = _line(rec, f"{path}:{n}", root, videos)
        if r.ids["qid"] in seen:
            raise InputError(f"{path}:{n}: qid {r.ids['qid']} appears twice")
        seen.add(r.ids["qid"])
        records.append(r)
    labelled = {r.moments is not None for r in records}
    if len(labelled) > 1:
        raise InputError(f"{path}: some lines have relevant_windows and some do not")
    return records


def qvhighlights_dataset(spec: DatasetSpec, split: str = "train", **params: Any) -> RecordDataset:
    """Factory of ``sen/qvhighlights-data@1``."""
    p: QVHighlightsParams = parse_params(spec, params, QVHighlightsParams)
    root = Path(p.root).expanduser()
    if not root.is_dir():
        raise InputError(f"{spec.name}: root folder not found: {root}")
    path = root / p.annotations.replace("{split}", split)
    records = read_qvhighlights(path, root, p.videos)[: p.max_samples]
    protocol = Protocol(frames="count", num_frames=p.frames, resize="short_crop", size=p.image_size)
    return RecordDataset(records, protocol, name=spec.name, where=str(path), split=split)
