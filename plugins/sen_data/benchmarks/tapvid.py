"""TAP-Vid readers: DAVIS and RGB-Stacking pickles, Kinetics shards, Kubric exports -> Records.

Layouts (google-deepmind/tapnet ``tapnet/tapvid/README.md``, ``evaluation_datasets.py``):

- DAVIS: one pickle, a dict video name -> {``video`` uint8 (T, H, W, 3), ``points`` float32
  (N, T, 2) x, y in [0, 1], ``occluded`` bool (N, T)}. RGB-Stacking: the same as a list.
- Kinetics: shards ``NNNN_of_NNNN.pkl``, each a list (or dict) of the same with ``video`` the JPEG
  bytes of each frame at 25 fps (``generate_tapvid.py`` stores points as (p W - 0.5) / W: the
  reference reader scales them by the frame size like the others, and so does this one).
- Kubric: SEN's export of the MOVi-E point-tracking pipeline, one ``.npz`` per video in
  ``{split}/``: ``video`` uint8 (T, H, W, 3) (or float in [-1, 1]), ``query_points`` (N, 3)
  t, y, x in pixels, ``target_points`` (N, T, 2) x, y in pixels, ``occluded`` bool (N, T).

Pickles are read with ``sen_core.data.load_pickle`` (arrays and containers only). Points become
source pixels (x W, y H), so the protocol's full-frame resize to 256 x 256 gives exactly the
reference's ``points * 256``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sen_core.data import Protocol, Record, RecordDataset, Source, load_pickle
from sen_core.errors import InputError
from sen_core.specs import DatasetSpec

from .._params import parse_params

Variant = Literal["davis", "rgb_stacking", "kinetics", "kubric"]
DEFAULT_FILES = {
    "davis": "tapvid_davis.pkl",
    "rgb_stacking": "tapvid_rgb_stacking.pkl",
    "kinetics": "*_of_*.pkl",
    "kubric": "{split}/*.npz",
}


class TapVidParams(BaseModel):
    """Parameters of the ``sen/tapvid-*@1`` datasets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: str = Field(description="the folder the benchmark was downloaded / exported to")
    variant: Variant = Field(
        default="davis", description="davis | rgb_stacking | kinetics | kubric"
    )
    files: str | None = Field(
        default=None,
        description="file or glob relative to root ('{split}' replaced); default per variant",
    )
    query_mode: Literal["first", "strided", "given"] = Field(
        default="strided", description="TAP-Vid query mode ('given': Kubric's query_points)"
    )
    query_stride: int = Field(default=5, ge=1, description="frames between 'strided' queries")
    image_size: int = Field(default=256, ge=8, description="full-frame resize, no crop")
    stride: int = Field(default=1, ge=1, description="keep every stride-th frame (1: all)")
    max_samples: int | None = Field(default=None, ge=1, description="only the first N videos")


def _entry(d: Any, where: str) -> tuple[np.ndarray | tuple[bytes, ...], np.ndarray, np.ndarray]:
    if not isinstance(d, dict) or not {"video", "points", "occluded"} <= set(d):
        got = sorted(d) if isinstance(d, dict) else type(d).__name__
        raise InputError(f"{where}: expected a dict with video, points, occluded; got {got}")
    video = d["video"]
    if isinstance(video, np.ndarray) and video.dtype.kind == "u":
        if video.ndim != 4 or video.shape[-1] != 3:
            raise InputError(f"{where}: video must be (T, H, W, 3) uint8, got {video.shape}")
        n_frames = len(video)
    elif isinstance(video, (list, tuple, np.ndarray)) and all(isinstance(f, bytes) for f in video):
        video = tuple(bytes(f) for f in video)
        n_frames = len(video)
    else:
        raise InputError(f"{where}: video must be uint8 frames or a list of JPEG bytes")
    pts, occ = np.asarray(d["points"]), np.asarray(d["occluded"])
    if pts.ndim != 3 or pts.shape[-1] != 2 or occ.shape != pts.shape[:2]:
        raise InputError(
            f"{where}: points must be (N, T, 2) and occluded (N, T); got {pts.shape}, {occ.shape}"
        )
    if pts.shape[1] != n_frames:
        raise InputError(
            f"{where}: the video has {n_frames} frames but the annotations {pts.shape[1]}"
        )
    return video, pts.astype(np.float64), occ.astype(bool)


def _record(ids: dict[str, Any], d: Any, where: str) -> Record:
    video, pts, occ = _entry(d, where)
    if isinstance(video, tuple):
        import io

        from PIL import Image

        try:
            w, h = Image.open(io.BytesIO(video[0])).size
        except OSError as exc:
            raise InputError(f"{where}: frame 0 is not an image ({exc})") from None
        source = Source(jpegs=video, fps=25.0)
    else:
        h, w = video.shape[1:3]
        source = Source(frames=video, fps=25.0)
    return Record(ids=ids, source=source, tracks=pts * [w, h], occluded=occ)


def _kubric(path: Path) -> Record:
    where = str(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"{where}: not a readable .npz ({exc})") from None
    need = {"video", "query_points", "target_points", "occluded"}
    if not need <= set(d):
        raise InputError(f"{where}: a Kubric export needs {sorted(need)}; has {sorted(d)}")
    video = d["video"]
    if video.dtype.kind == "f":  # [-1, 1] as the tfds pipeline gives it
        video = np.clip(np.round((video + 1) * 127.5), 0, 255).astype(np.uint8)
    tp, occ = d["target_points"], d["occluded"]
    if tp.ndim != 3 or tp.shape[1] != len(video) or occ.shape != tp.shape[:2]:
        raise InputError(
            f"{where}: target_points {tp.shape} / occluded {occ.shape} do not match "
            f"a {len(video)}-frame video"
        )
    return Record(
        ids={"video": path.stem},
        source=Source(frames=video, fps=25.0),
        tracks=tp.astype(np.float64),
        occluded=occ.astype(bool),
        query_points=np.asarray(d["query_points"], np.float64),
    )


def read_tapvid(root: Path, variant: str, pattern: str, split: str) -> list[Record]:
    """The records of one TAP-Vid variant under ``root`` (official layouts, see the module doc)."""
    pattern = pattern.replace("{split}", split)
    paths = sorted(root.glob(pattern)) if any(c in pattern for c in "*?[") else [root / pattern]
    if not paths or not all(p.is_file() for p in paths):
        missing = next((p for p in paths if not p.is_file()), root / pattern)
        raise InputError(
            f"sen/tapvid-{variant.replace('_', '-')}-data@1: file not found: {missing}"
        )
    if variant == "kubric":
        return [_kubric(p) for p in paths]
    records: list[Record] = []
    for path in paths:
        data = load_pickle(path)
        if variant == "davis":
            if not isinstance(data, dict):
                raise InputError(
                    f"{path}: TAP-Vid-DAVIS is a dict of video name -> entry, got "
                    f"{type(data).__name__} (an RGB-Stacking list? use variant rgb_stacking)"
                )
            items = [({"video": str(k)}, v) for k, v in data.items()]
        elif variant == "rgb_stacking":
            if not isinstance(data, list):
                raise InputError(
                    f"{path}: TAP-Vid-RGB-Stacking is a list of entries, got {type(data).__name__}"
                    " (a DAVIS dict? use variant davis)"
                )
            items = [({"video": str(i)}, v) for i, v in enumerate(data)]
        else:  # kinetics shards: a list (or a dict, as the reference accepts)
            values = list(data.values()) if isinstance(data, dict) else data
            if not isinstance(values, list):
                raise InputError(f"{path}: a TAP-Vid-Kinetics shard is a list of entries")
            items = [({"video": f"{path.stem}/{i}"}, v) for i, v in enumerate(values)]
        for ids, entry in items:
            records.append(_record(ids, entry, f"{path}: entry {ids['video']}"))
    return records


def tapvid_dataset(spec: DatasetSpec, split: str = "test", **params: Any) -> RecordDataset:
    """Factory of the ``sen/tapvid-*@1`` datasets (every frame, 256 x 256 without crop)."""
    p: TapVidParams = parse_params(spec, params, TapVidParams)
    root = Path(p.root).expanduser()
    if not root.is_dir():
        raise InputError(f"{spec.name}: root folder not found: {root}")
    pattern = p.files or DEFAULT_FILES[p.variant]
    records = read_tapvid(root, p.variant, pattern, split)[: p.max_samples]
    if p.query_mode == "given" and any(r.query_points is None for r in records):
        raise InputError(f"{spec.name}: query_mode 'given' needs query_points (Kubric exports)")
    protocol = Protocol(
        frames="all" if p.stride == 1 else "stride",
        stride=p.stride,
        resize="full",
        size=p.image_size,
        query_mode=p.query_mode,
        query_stride=p.query_stride,
    )
    return RecordDataset(records, protocol, name=spec.name, where=str(root / pattern), split=split)
