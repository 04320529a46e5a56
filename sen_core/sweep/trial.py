"""Running one trial: the default trial function (train the config) and the worker-side wrapper.

``execute_trial`` runs in a worker process (or a Ray task): it imports the sweep's trial function
("module:attr"), calls it, and turns whatever happens into a result dict; it never raises, so a
failed trial becomes a row and the sweep goes on.
"""

from __future__ import annotations

import inspect
import math
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from sen_core.config.run_config import RunConfig


def train_trial(
    config: RunConfig, trial_dir: Path, *, feature_cache: Any = None
) -> dict[str, float]:
    """The default trial: ``sen_core.train.train`` on the config; returns its final metrics.

    A run directory left by a killed attempt is resumed from its last checkpoint (the trial id is
    the config hash, so the directory always holds this very config).
    """
    from sen_core.train import train

    metrics = train(config, trial_dir, resume=True, feature_cache=feature_cache, progress=False)
    return flatten_metrics(metrics)


def trial_function_problem(ref: str) -> str | None:
    """Why ``ref`` cannot be a sweep's trial function, or None: it is resolved when the sweep is
    validated, not when the first trial runs.

    A trial function is a Python function of your code or of an installed package (not the
    standard library, not a builtin or a class) that takes ``(config, trial_dir, *, feature_cache)``.
    """
    from sen_core.catalogue import import_ref

    mod, sep, attr = ref.partition(":")
    if (
        not sep
        or not mod
        or not attr
        or not all(p.isidentifier() for p in [*mod.split("."), *attr.split(".")])
    ):
        return f"trial {ref!r} must be 'package.module:function'"
    if mod.split(".")[0] in sys.stdlib_module_names:
        return (
            f"trial {ref!r} is in the Python standard library; a trial function comes from your "
            "code or an installed package"
        )
    try:
        fn = import_ref(ref)
    except ImportError as exc:
        return f"trial {ref!r}: cannot import {mod} ({type(exc).__name__}: {exc})"
    except AttributeError:
        return f"trial {ref!r}: module {mod} has no attribute {attr!r}"
    except Exception as exc:  # noqa: BLE001 - importing the user's module raised: report it in one line
        return f"trial {ref!r}: importing {mod} failed ({type(exc).__name__}: {exc})"
    if not inspect.isfunction(fn):
        return f"trial {ref!r} is a {type(fn).__name__}, not a Python function"
    try:
        inspect.signature(fn).bind(None, None, feature_cache=None)
    except TypeError:
        return (
            f"trial {ref!r} must take (config, trial_dir, *, feature_cache); "
            f"its signature is {inspect.signature(fn)}"
        )
    return None


def flatten_metrics(metrics: Any, prefix: str = "") -> dict[str, float]:
    """Nested dicts -> ``{"a/b": float}``; numbers only (tensors and numpy scalars included)."""
    out: dict[str, float] = {}
    if not isinstance(metrics, dict):
        return out
    for k, v in metrics.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten_metrics(v, name + "/"))
            continue
        if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
            v = v.item()
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = float(v)
    return out


def execute_trial(task: dict[str, Any], fn: Any = None) -> dict[str, Any]:
    """Run one trial described by ``task`` (id, config, axes, dir, trial ref, cache); never raises.

    ``fn`` is the trial function when the caller already has it (else ``task['trial']`` is imported).
    """
    from sen_core.catalogue import import_ref
    from sen_core.neuron.cache import FeatureCache

    started = time.time()
    t0 = time.perf_counter()
    result: dict[str, Any] = {
        "id": task["id"],
        "status": "failed",
        "axes": task["axes"],
        "metrics": {},
        "error": None,
        "traceback": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": started,
    }
    cache = None
    try:
        fn = fn if fn is not None else import_ref(task["trial"])
        config = RunConfig.model_validate(task["config"])
        cache = FeatureCache(**task["cache"]) if task.get("cache") else None
        Path(task["trial_dir"]).mkdir(parents=True, exist_ok=True)
        metrics = fn(config, Path(task["trial_dir"]), feature_cache=cache)
        result["metrics"] = {k: v for k, v in flatten_metrics(metrics).items() if not math.isnan(v)}
        result["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is this trial's row, not the sweep's end
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    result["wall_time_s"] = time.perf_counter() - t0
    result["finished"] = time.time()
    if cache is not None:
        result["cache"] = {"hits": cache.hits, "misses": cache.misses}
    return result


def died_result(task: dict[str, Any], why: str) -> dict[str, Any]:
    """The row of a trial whose worker process died under it (killed, out of memory, segfault)."""
    now = time.time()
    return {
        "id": task["id"],
        "status": "failed",
        "axes": task["axes"],
        "metrics": {},
        "error": why,
        "traceback": None,
        "host": socket.gethostname(),
        "pid": None,
        "started": now,
        "finished": now,
        "wall_time_s": 0.0,
    }


def init_worker(threads: int) -> None:
    """Worker start-up: share the cores between workers (before torch is imported)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
