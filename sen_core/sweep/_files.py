"""The files of a sweep directory, always written whole (temporary file, then rename).

``DIR/sweep.json`` is the plan (every trial id, its axes and config), ``DIR/trials/<id>.json``
one trial's result, ``DIR/trials/<id>/`` its run directory. A SIGKILL at any moment leaves each
file either absent, old or new: never partial, so every table can be rebuilt from them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

PLAN_FILE = "sweep.json"
TRIALS_DIR = "trials"


def result_path(sweep_dir: Path, trial_id: str) -> Path:
    return Path(sweep_dir) / TRIALS_DIR / f"{trial_id}.json"


def trial_dir(sweep_dir: Path, trial_id: str) -> Path:
    return Path(sweep_dir) / TRIALS_DIR / trial_id


def remove_temp_files(sweep_dir: Path) -> int:
    """Delete what killed writers left: ``.*.tmp`` files (and temporary checkpoint directories) in
    the sweep directory, ``trials/`` and every trial's run directory (e.g.
    ``trials/<id>/.curves.png.<pid>.<random>.tmp``). Called only while no driver of this sweep is
    alive, so no writer can still own them; the real files they would have replaced are intact.
    Returns how many were removed."""
    root = Path(sweep_dir)
    found = [*root.glob(".*.tmp"), *(root / TRIALS_DIR).glob(".*.tmp")]
    found += (root / TRIALS_DIR).glob("*/**/.*.tmp")
    for p in found:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return len(found)


def read_json(path: Path) -> Any | None:
    """The parsed file, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_plan(sweep_dir: Path) -> dict[str, Any] | None:
    return read_json(Path(sweep_dir) / PLAN_FILE)


def read_results(sweep_dir: Path, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Result of every planned trial that has one (in plan order)."""
    out = {}
    for tid in ids:
        r = read_json(result_path(sweep_dir, tid))
        if isinstance(r, dict) and r.get("status") in ("ok", "failed"):
            out[tid] = r
    return out
