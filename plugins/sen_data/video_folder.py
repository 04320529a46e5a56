"""``sen/video-folder@1``: real videos from a folder, annotated by a JSONL file in the batch schema.

The annotation file is read and checked when the dataset is built (every problem names the file
and line); clips are decoded with PyAV (``sen_core.data.video.decode_video``) when a sample is read.
Moments are given in seconds and become fractions of the decoded window; each sample also carries
the window's ``duration`` and the moments in seconds, so the moments meter measures IoU in seconds
(as QVHighlights does). A clip that decodes to fewer frames than its container declares is reported
(a warning with the counts, or an error with ``strict_decode``), never padded silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch.utils.data import Dataset

from sen_core.data import collate_samples, decode_video
from sen_core.errors import InputError, SenError, suggest
from sen_core.specs import DatasetSpec

from ._params import parse_params

KEYS = (
    "video",
    "label",
    "caption",
    "question",
    "answer",
    "query",
    "moments",
    "tracks",
    "start",
    "end",
)
_TEXT_KEYS = ("caption", "question", "answer", "query")
# keys that must be on every line or on none (a batch needs the same fields for every clip)
_FIELD_KEYS = ("label", *_TEXT_KEYS, "moments", "tracks")


class VideoFolderParams(BaseModel):
    """Parameters of ``sen/video-folder@1`` (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: str = Field(description="folder holding the videos (and, by default, the annotations)")
    annotations: str = Field(
        default="{split}.jsonl", description="JSONL file, relative to root; '{split}' is replaced"
    )
    frames: int = Field(default=8, ge=1, description="T, frames per clip")
    image_size: int = Field(
        default=224,
        ge=8,
        description="frames are resized (shorter side) and centre-cropped to this square",
    )
    fps: float | None = Field(
        default=None,
        gt=0,
        description="sample at this rate from the clip start (else T frames spread over the clip)",
    )
    class_names: list[str] | None = Field(
        default=None,
        description="label vocabulary; default: the sorted unique labels of the train split "
        "(every split uses it: a label the train split lacks is an error)",
    )
    max_samples: int | None = Field(default=None, ge=1, description="use only the first N lines")
    strict_decode: bool = Field(
        default=False,
        description="a clip that decodes to fewer frames than its container declares is an error "
        "(default: a warning with the counts, and frames sampled from those that decode)",
    )


@dataclass
class _Clip:
    line: int
    path: Path
    fields: dict[str, Any] = field(default_factory=dict)


class VideoFolderDataset(Dataset):
    """Clips listed in a JSONL file; ``dataset[i]`` decodes clip i."""

    def __init__(self, params: VideoFolderParams, split: str = "train") -> None:
        self.params = params
        self.split = split
        self.root = Path(params.root).expanduser()
        if not self.root.is_dir():
            raise InputError(f"sen/video-folder@1: root folder not found: {self.root}")
        ann = Path(params.annotations.replace("{split}", split)).expanduser()
        self.annotations = ann if ann.is_absolute() else self.root / ann
        self.clips = _read_annotations(self.annotations, self.root, params.max_samples)
        names, source = params.class_names, "class_names"
        if names is None and split != "train":  # one vocabulary for every split: the train one
            names, source = self._train_vocabulary()
        self.class_names, self._label_ids = _label_vocabulary(
            self.clips, names, self.annotations, source=source
        )
        self._fps: float | None = params.fps

    def _train_vocabulary(self) -> tuple[list[str] | None, str]:
        """The train split's label vocabulary (None: this split reads the train file itself, or
        has no labels), and where it came from, for messages."""
        p = self.params
        ann = Path(p.annotations.replace("{split}", "train")).expanduser()
        train = ann if ann.is_absolute() else self.root / ann
        if train == self.annotations or not any("label" in c.fields for c in self.clips):
            return None, "class_names"
        if not train.is_file():
            raise InputError(
                f"{self.annotations}: split '{self.split}' has labels, but no params.class_names "
                f"and no train split ({train}) to take the class vocabulary from; give "
                "params.class_names so that a class id means the same class in every split"
            )
        names, _ = _label_vocabulary(
            _read_annotations(train, self.root, p.max_samples), None, train
        )
        return names, f"the train split's labels ({train})"

    @property
    def fps(self) -> float:
        """The sampling rate: ``params.fps``, else that of the first clip (clips may differ; see sample['fps'])."""
        if self._fps is None:
            self._fps = float(self[0]["fps"])
        return self._fps

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"sen/video-folder@1 has {n} clips; index {index} is out of range")
        clip = self.clips[index % n]
        try:
            return self._load(clip)
        except SenError as exc:
            raise InputError(f"{self.annotations}:{clip.line}: {exc}") from None

    def collate(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack samples into a batch (adds ``class_names``)."""
        return collate_samples(samples, class_names=self.class_names)

    # ---- one clip ------------------------------------------------------------------------------
    def _load(self, clip: _Clip) -> dict[str, Any]:
        p, f = self.params, clip.fields
        T = p.frames
        start = f.get("start")
        if p.fps is not None:
            t0 = float(start or 0.0)
            end = t0 + T / p.fps
            if f.get("end") is not None:
                end = min(end, float(f["end"]))
            frames, info = decode_video(
                clip.path,
                fps=p.fps,
                size=p.image_size,
                crop=True,
                start=t0,
                end=end,
                strict=p.strict_decode,
            )
            window = T / p.fps  # the nominal window: frame t covers [t/T, (t+1)/T) of it
            pad = T - len(frames)
            if pad > 0:  # the clip is shorter than T frames at this rate: hold the last frame
                frames = np.concatenate([frames, np.repeat(frames[-1:], pad, axis=0)])
                info["indices"] = info["indices"] + [info["indices"][-1]] * pad
            frames, info["indices"] = frames[:T], info["indices"][:T]
        else:
            frames, info = decode_video(
                clip.path,
                num_frames=T,
                size=p.image_size,
                crop=True,
                start=start,
                end=f.get("end"),
                strict=p.strict_decode,
            )
            window = info["duration"]
        sample: dict[str, Any] = {
            "video": torch.from_numpy(frames),
            "fps": float(info["fps"]),
            # seconds that the fractions of `moments` and `saliency` are fractions of
            "duration": torch.tensor(window, dtype=torch.float64),
        }
        if "label" in f:
            sample["label"] = torch.tensor(self._label_ids[clip.line], dtype=torch.int64)
        for key in _TEXT_KEYS:
            if key in f:
                sample[key] = f[key]
        if "moments" in f:
            moments = _to_fractions(f["moments"], info["start"], window)
            sample["moments"] = torch.from_numpy(moments)
            # the same spans in seconds from the start of the video (clipped to the window)
            sample["moments_seconds"] = torch.from_numpy(
                (info["start"] + moments.astype(np.float64) * window).reshape(-1, 2)
            )
            centres = (np.arange(T) + 0.5) / T
            inside = [(centres >= s) & (centres < e) for s, e in moments]
            sample["saliency"] = torch.from_numpy(
                np.any(inside, axis=0).astype(np.float32) if inside else np.zeros(T, np.float32)
            )
        if "tracks" in f:
            tracks, visible, qpts = _sample_tracks(f["tracks"], info, p.image_size)
            sample.update(
                tracks=torch.from_numpy(tracks),
                visible=torch.from_numpy(visible),
                query_points=torch.from_numpy(qpts),
            )
        return sample


# ---- annotations --------------------------------------------------------------------------------
def _read_annotations(path: Path, root: Path, limit: int | None) -> list[_Clip]:
    if not path.is_file():
        raise InputError(f"sen/video-folder@1: annotation file not found: {path}")
    from sen_core.data import loads_json

    clips: list[_Clip] = []
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if limit is not None and len(clips) >= limit:
            break
        where = f"{path}:{lineno}"
        try:
            rec = loads_json(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        if not isinstance(rec, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
        clips.append(_check_record(rec, where, lineno, root))
    if not clips:
        raise InputError(f"{path}: no clips (the file has no annotation lines)")
    for key in _FIELD_KEYS:
        lacking = [c.line for c in clips if key not in c.fields]
        if lacking and len(lacking) < len(clips):
            shown = ", ".join(map(str, lacking[:5])) + (" ..." if len(lacking) > 5 else "")
            raise InputError(
                f"{path}: key '{key}' is on some lines but missing on line(s) {shown}; "
                "every clip of a dataset must carry the same keys"
            )
    return clips


def _check_record(rec: dict[str, Any], where: str, lineno: int, root: Path) -> _Clip:
    for key in rec:
        if key not in KEYS:
            close = suggest(key, KEYS)
            hint = (
                f"; did you mean '{close[0]}'?" if close else f"; expected keys: {', '.join(KEYS)}"
            )
            raise InputError(f"{where}: unknown key '{key}'{hint}")
    video = rec.get("video")
    if not isinstance(video, str) or not video:
        raise InputError(
            f"{where}: 'video' must be the path of the clip relative to the root folder"
        )
    path = root / video
    if not path.is_file():
        raise InputError(f"{where}: video '{video}' not found (looked for {path})")
    fields = {k: v for k, v in rec.items() if k != "video" and v is not None}
    for key in _TEXT_KEYS:
        if key in fields and not isinstance(fields[key], str):
            raise InputError(f"{where}: '{key}' must be a string, got {type(fields[key]).__name__}")
    if "label" in fields and (
        isinstance(fields["label"], bool) or not isinstance(fields["label"], (str, int))
    ):
        raise InputError(
            f"{where}: 'label' must be a class name or an integer, got {fields['label']!r}"
        )
    for key in ("start", "end"):
        if key in fields and (not _is_number(fields[key]) or fields[key] < 0):
            raise InputError(
                f"{where}: '{key}' must be a number of seconds >= 0, got {fields[key]!r}"
            )
    if "start" in fields and "end" in fields and fields["end"] <= fields["start"]:
        raise InputError(
            f"{where}: 'end' ({fields['end']}) must be after 'start' ({fields['start']})"
        )
    if "moments" in fields:
        m = fields["moments"]
        ok = isinstance(m, list) and all(
            isinstance(s, list)
            and len(s) == 2
            and all(_is_number(x) for x in s)
            and 0 <= s[0] < s[1]
            for s in m
        )
        if not ok:
            raise InputError(
                f"{where}: 'moments' must be a list of [start, end] seconds with 0 <= start < end, got {m!r}"
            )
    if "tracks" in fields:
        tr = fields["tracks"]
        ok = (
            isinstance(tr, list)
            and len(tr) > 0
            and all(
                isinstance(t, list)
                and len(t) > 0
                and all(
                    pt is None
                    or (isinstance(pt, list) and len(pt) == 2 and all(_is_number(x) for x in pt))
                    for pt in t
                )
                for t in tr
            )
        )
        if not ok:
            raise InputError(
                f"{where}: 'tracks' must be a list of point tracks, each a list with one "
                "[x, y] (source pixels) or null (not visible) per source frame"
            )
    return _Clip(lineno, path, fields)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _label_vocabulary(
    clips: list[_Clip], names: list[str] | None, path: Path, *, source: str = "class_names"
) -> tuple[list[str], dict[int, int]]:
    """(class_names, label id per line): ``names`` given (from ``source``), else the sorted unique
    string labels of ``clips``. Labels outside the given names are one error naming them all."""
    labels = {c.line: c.fields["label"] for c in clips if "label" in c.fields}
    if names is None:
        strings = {v for v in labels.values() if isinstance(v, str)}
        ints = [v for v in labels.values() if isinstance(v, int)]
        if strings and ints:
            raise InputError(
                f"{path}: labels mix class names and integers; give params.class_names "
                "so that both can be resolved"
            )
        names = (
            sorted(strings) if strings else [str(i) for i in range(max(ints) + 1)] if ints else []
        )
    index = {n: i for i, n in enumerate(names)}
    unknown = {line: v for line, v in labels.items() if isinstance(v, str) and v not in index}
    if len(unknown) == 1 and source == "class_names":
        ((line, v),) = unknown.items()
        close = suggest(v, names)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputError(f"{path}:{line}: label '{v}' is not in class_names{hint}")
    if unknown:
        missing = ", ".join(f"'{v}'" for v in dict.fromkeys(unknown.values()))
        lines = ", ".join(map(str, list(unknown)[:5])) + (" ..." if len(unknown) > 5 else "")
        raise InputError(
            f"{path}: label(s) {missing} (line(s) {lines}) are not in {source}; class ids must "
            "mean the same class in every split: give params.class_names with every class"
        )
    ids: dict[int, int] = {}
    for line, v in labels.items():
        if isinstance(v, str):
            ids[line] = index[v]
        else:
            if not 0 <= v < len(names):
                raise InputError(
                    f"{path}:{line}: label {v} is out of range for {len(names)} classes"
                )
            ids[line] = v
    return list(names), ids


# ---- conversions --------------------------------------------------------------------------------
def _to_fractions(moments: list[list[float]], start: float, window: float) -> np.ndarray:
    """Seconds -> (K, 2) fractions of the decoded window, clipped to [0, 1]; spans outside are dropped."""
    out = []
    for s, e in moments:
        fs, fe = (s - start) / window, (e - start) / window
        fs, fe = min(max(fs, 0.0), 1.0), min(max(fe, 0.0), 1.0)
        if fe > fs:
            out.append((fs, fe))
    return np.asarray(out, np.float32).reshape(-1, 2)


def _sample_tracks(
    tracks: list[list[Any]], info: dict[str, Any], size: int
) -> tuple[np.ndarray, ...]:
    """Per-source-frame tracks -> the decoded frames: (Q, T, 2) output px, (Q, T) visible, (Q, 3)."""
    n_src = info["source_frames"]
    for q, t in enumerate(tracks):
        if len(t) != n_src:
            raise InputError(
                f"track {q} has {len(t)} points but the video has {n_src} frames (one per frame, null when hidden)"
            )
    sx, sy = info["scale"]
    left, top = info["offset"]
    idx = info["indices"]
    Q, T = len(tracks), len(idx)
    xy = np.zeros((Q, T, 2), np.float32)
    vis = np.zeros((Q, T), bool)
    for q, t in enumerate(tracks):
        for j, i in enumerate(idx):
            pt = t[i]
            if pt is None:
                continue
            x, y = pt[0] * sx - left, pt[1] * sy - top
            xy[q, j] = (x, y)
            vis[q, j] = 0 <= x < size and 0 <= y < size
    qpts = np.zeros((Q, 3), np.float32)
    for q in range(Q):
        seen = np.flatnonzero(vis[q])
        t0 = int(seen[0]) if len(seen) else 0
        qpts[q] = (t0, xy[q, t0, 0], xy[q, t0, 1])
    return xy, vis, qpts


def video_folder_dataset(
    spec: DatasetSpec, split: str = "train", **params: Any
) -> VideoFolderDataset:
    """Factory of ``sen/video-folder@1``."""
    return VideoFolderDataset(parse_params(spec, params, VideoFolderParams), split=split)
