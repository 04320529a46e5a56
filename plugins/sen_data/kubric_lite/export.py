"""Writing a fixed copy of ``sen/kubric-lite@1`` to disk in the TAP-Vid-Kubric fields.

Layout (one split per folder)::

    OUT_DIR/<split>/index.json      {"format", "generator", "split", "params", "clips": [...]}
    OUT_DIR/<split>/00000.npz       video uint8 (T, H, W, 3), query_points (N, 3) t,y,x px,
                                    target_points (N, T, 2) x,y px, occluded bool (N, T)

``write_clip`` is the one place that knows the per-clip file format. The split folder is written
under a temporary name and renamed when complete, so a failed or interrupted write leaves nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sen_core.errors import InputError

FORMAT = "tapvid-kubric-npz/1"


def write_clip(folder: Path, index: int, clip: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write one clip (the TAP-Vid-Kubric fields) and return its entry of index.json."""
    name = f"{index:05d}.npz"
    arrays: dict[str, Any] = dict(clip)
    np.savez_compressed(folder / name, allow_pickle=False, **arrays)
    t, h, w, _ = clip["video"].shape
    return {
        "id": index,
        "file": name,
        "frames": t,
        "height": h,
        "width": w,
        "points": len(clip["occluded"]),
    }


def write_split(
    dataset: Any,
    out_dir: str | os.PathLike[str],
    num: int,
    params: dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write clips 0..num-1 of ``dataset`` to ``out_dir/<split>``; returns that folder."""
    if num < 1 or num > len(dataset):
        raise InputError(f"--num must be in 1..{len(dataset)} (the split's num_samples), got {num}")
    final = Path(out_dir) / dataset.split
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise InputError(
            f"{final}: already exists and is not empty (choose another OUT_DIR or remove it)"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dataset.split}.", suffix=".tmp", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0o700 would otherwise stay on the final folder
    try:
        clips = []
        for i in range(num):
            clips.append(write_clip(tmp, i, dataset.tapvid(i)))
            if progress is not None:
                progress(i + 1, num)
        index = {
            "format": FORMAT,
            "generator": "sen/kubric-lite@1",
            "split": dataset.split,
            "params": params,
            "fields": {
                "video": "uint8 (T, H, W, 3) RGB",
                "query_points": "float32 (N, 3) t, y, x in pixels",
                "target_points": "float32 (N, T, 2) x, y in pixels (pixel centres at +0.5)",
                "occluded": "bool (N, T)",
            },
            "clips": clips,
        }
        (tmp / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
        if final.exists():
            final.rmdir()  # empty (checked above)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
