"""Ray backend (optional extra ``sen[ray]``): the same trials as Ray tasks on a cluster.

Tasks run ``execute_trial`` remotely and return the result dict; the driver (the machine running
``sen sweep``) writes the result files, so the sweep directory only needs to live on the driver.
Connects to ``address`` / ``$RAY_ADDRESS`` (a cluster from ``ray start --head``), else starts a
local Ray; an already initialised Ray (``ray.init(...)`` in a script) is used as it is.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable, Iterator
from typing import Any

from sen_core.errors import SenError
from sen_core.sweep.trial import died_result, execute_trial

INSTALL_HINT = (
    "the ray backend needs Ray, which is not installed: pip install 'sen[ray]' (or pip install ray)"
)


def require_ray() -> Any:
    """The ``ray`` module, or a SenError telling how to install it."""
    try:
        import ray
    except ImportError:
        raise SenError(INSTALL_HINT) from None
    return ray


def _ship_by_value(ref: str) -> Any | None:
    """The trial function itself when its module is a local file workers may not have.

    Installed packages (and sen's own) are imported by name on the workers; a module from a local
    folder (a script, tests) is sent by value with cloudpickle instead.
    """
    from sen_core.catalogue import import_ref

    fn = import_ref(ref)
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    path = getattr(module, "__file__", None) or ""
    installed = any(
        path.startswith(p)
        for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    )
    if module is None or installed or module.__name__.startswith("sen_"):
        return None
    import ray.cloudpickle as cp

    cp.register_pickle_by_value(module)
    return fn


def iter_ray(
    tasks: list[dict[str, Any]],
    jobs: int = 0,
    *,
    address: str | None = None,
    on_start: Callable[[str], None] = lambda _id: None,
    cpus_per_trial: float = 1.0,
    gpus_per_trial: float = 0.0,
) -> Iterator[dict[str, Any]]:
    """Yield one result per task as Ray finishes them; at most ``jobs`` in flight (0: no limit)."""
    ray = require_ray()
    if not tasks:
        return
    started_here = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        kwargs: dict[str, Any] = (
            {"address": address} if address else {"num_cpus": max(jobs, 1) if jobs else None}
        )
        ray.init(**kwargs, include_dashboard=False, logging_level="WARNING", log_to_driver=True)
        started_here = True
    try:
        fn = _ship_by_value(tasks[0]["trial"])
        remote = ray.remote(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial, max_retries=0)(
            execute_trial
        )
        pending = list(tasks)
        inflight: dict[Any, dict[str, Any]] = {}
        while pending or inflight:
            while pending and (jobs <= 0 or len(inflight) < jobs):
                t = pending.pop(0)
                inflight[remote.remote(t, fn)] = t
                on_start(t["id"])
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                t = inflight.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - the worker died (node lost, out of memory)
                    yield died_result(t, f"the Ray task failed: {type(exc).__name__}: {exc}")
    finally:
        if started_here:
            ray.shutdown()
