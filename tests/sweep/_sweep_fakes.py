"""Fake trial functions for sweep tests: importable by name in spawned workers and Ray tasks.

Each call leaves a marker file (one per execution) so tests can count how often a trial ran;
``$SEN_FAKE_SLEEP`` slows trials down, ``$SEN_FAKE_FAIL_DEPTH`` makes that depth raise and
``$SEN_FAKE_CRASH_DEPTH`` makes that depth kill its worker process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def fake_trial(config, trial_dir: Path, *, feature_cache=None) -> dict:
    """Metrics computed from the config: depth and seed decide the score, deterministically."""
    markers = Path(trial_dir).parent.parent / "markers"
    markers.mkdir(exist_ok=True)
    (markers / f"{config.hash()}.{os.getpid()}.{time.time_ns()}").touch()
    time.sleep(float(os.environ.get("SEN_FAKE_SLEEP", "0")))
    if str(config.model.depth) == os.environ.get("SEN_FAKE_CRASH_DEPTH", ""):
        os._exit(3)
    if str(config.model.depth) == os.environ.get("SEN_FAKE_FAIL_DEPTH", ""):
        raise RuntimeError(f"depth {config.model.depth} is not supported here")
    score = 0.5 + 0.1 * config.model.depth + 0.01 * config.train.seed + config.model.width / 10000
    return {"score": score, "loss": {"total": 1.0 - score}, "ignored": "text"}
