"""The sweep runner: plan the trials, skip finished ones, run the rest in worker processes or on Ray.

Each result is written to ``DIR/trials/<id>.json`` as it arrives, then the tables are rebuilt from
those files, so a sweep killed at any point resumes where it stopped (``sen sweep`` again). Trials
whose file says ``ok`` are never rerun; ``failed`` ones are retried unless ``retry_failed=False``.
"""

from __future__ import annotations

import collections
import os
import re
import socket
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sen_core._io import atomic_write_json
from sen_core.errors import SenError
from sen_core.sweep._files import PLAN_FILE, read_results, result_path, trial_dir
from sen_core.sweep.report import STATE_FILE, format_best, summarise, write_reports
from sen_core.sweep.spec import LoadedSweep, Trial, load_sweep, plan_trials
from sen_core.sweep.trial import died_result, execute_trial, init_worker

if TYPE_CHECKING:
    from rich.progress import Progress

_PLOT_EVERY_S = 60.0


def default_out_dir(name: str) -> Path:
    """``sen/sweep-depth@1`` -> ``runs/sweeps/sweep-depth``."""
    short = name.rsplit("/", maxsplit=1)[-1].split("@", maxsplit=1)[0]
    return Path("runs") / "sweeps" / (re.sub(r"[^A-Za-z0-9_.-]+", "-", short) or "sweep")


def write_plan(out: Path, sweep: LoadedSweep, trials: list[Trial]) -> None:
    atomic_write_json(
        out / PLAN_FILE,
        {
            "name": sweep.name,
            "source": sweep.label,
            "spec": sweep.spec.model_dump(mode="json"),
            "axes": sweep.axis_names(),
            "metrics": list(sweep.spec.metrics),
            "goal": sweep.spec.goal,
            "trials": [t.as_dict() for t in trials],
        },
    )


def run_sweep(
    sweep: str | LoadedSweep,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    jobs: int = 1,
    backend: str = "local",
    retry_failed: bool = True,
    progress: bool = True,
    cache: Any = None,
    catalogue: Any = None,
    ray_address: str | None = None,
    ray_resources: dict[str, float] | None = None,
    loggers: list[str] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a sweep; returns the ``summarise`` dict of the finished directory.

    ``jobs``: trials at once (worker processes; 0 runs them in this process). ``cache``: None uses
    the sweep's ``cache`` setting with the default FeatureCache, False disables it, or pass a
    FeatureCache. ``backend``: 'local' or 'ray' (``ray_address`` or $RAY_ADDRESS, else a local Ray;
    ``ray_resources``: ``{"cpus_per_trial": 1, "gpus_per_trial": 0}``; ``jobs`` 0 = no limit).
    ``loggers``: experiment trackers ('tensorboard', 'mlflow') added to every trial's
    ``train.loggers``; MLflow gets one parent run with a nested run per trial (sweep/tracking.py).
    """
    if backend not in ("local", "ray"):
        raise SenError(f"unknown backend '{backend}'; expected 'local' or 'ray'")
    if jobs < 0:
        raise SenError(f"jobs must be >= 0, got {jobs}")
    if backend == "ray":
        from sen_core.sweep.ray_backend import require_ray

        require_ray()  # fail before any work when ray is missing
    loaded = sweep if isinstance(sweep, LoadedSweep) else load_sweep(sweep, catalogue=catalogue)
    trials = plan_trials(loaded, catalogue=catalogue)
    out = Path(out_dir) if out_dir is not None else default_out_dir(loaded.name)
    out.mkdir(parents=True, exist_ok=True)
    _refuse_if_running(out)
    _remove_stale_tmp(out)
    write_plan(out, loaded, trials)

    done = read_results(out, [t.id for t in trials])
    keep = {"ok"} if retry_failed else {"ok", "failed"}
    todo = [t for t in trials if done.get(t.id, {}).get("status") not in keep]
    from sen_core.sweep.tracking import SweepTracking

    tracking = SweepTracking(out, loaded, trials, list(loggers or []))
    tracking.catch_up(done)
    tasks = [tracking.prepare(_task(out, loaded, t, cache)) for t in todo]

    display = _Display(loaded.name, len(trials), len(trials) - len(todo), enabled=progress)
    state = _State(out)
    last_plot = time.monotonic()
    if backend == "ray":
        from sen_core.sweep.ray_backend import iter_ray

        results = iter_ray(
            tasks, jobs, address=ray_address, on_start=state.started, **(ray_resources or {})
        )
    else:
        results = _iter_local(tasks, jobs, state.started)
    display.start()
    try:
        for result in results:
            atomic_write_json(result_path(out, result["id"]), result)
            state.finished(result["id"])
            tracking.trial_done(result)
            plot = time.monotonic() - last_plot > _PLOT_EVERY_S
            write_reports(out, plot=plot)
            if plot:
                last_plot = time.monotonic()
            display.finished(result, summarise(out))
        # before the state says the driver is done: `sen sweep status` says finished only now
        write_reports(out, plot=True)
    finally:
        display.stop()
        state.close()
    summary = summarise(out)
    tracking.finish(summary)
    return summary


def _refuse_if_running(out: Path) -> None:
    """Two drivers on one directory would run trials twice: refuse while another one is alive."""
    from sen_core.sweep._files import read_json
    from sen_core.sweep.report import _alive

    state = read_json(out / STATE_FILE) or {}
    pid = state.get("pid")
    if (
        state.get("active")
        and pid
        and pid != os.getpid()
        and state.get("host") == socket.gethostname()
        and _alive(int(pid))
    ):
        raise SenError(
            f"a sweep is already running in {out} (pid {pid}); wait for it, or stop it first"
        )


def _remove_stale_tmp(out: Path) -> None:
    """Temporary files left by a killed run (their writer is gone; the real files are intact)."""
    from sen_core.sweep._files import remove_temp_files

    remove_temp_files(out)


def _task(out: Path, sweep: LoadedSweep, trial: Trial, cache: Any) -> dict[str, Any]:
    from sen_core.neuron.cache import FeatureCache

    if cache is None:
        cache = FeatureCache() if sweep.spec.cache else False
    return {
        "id": trial.id,
        "config": trial.config,
        "axes": trial.axes,
        "trial": sweep.spec.trial,
        "trial_dir": str(trial_dir(out, trial.id).resolve()),
        "cache": {"root": str(cache.root), "max_bytes": cache.max_bytes} if cache else None,
    }


# ---- backends: each yields one result dict per task, as they finish ------------------------------
def _iter_local(
    tasks: list[dict[str, Any]], jobs: int, on_start: Callable[[str], None]
) -> Iterator[dict[str, Any]]:
    if jobs == 0:  # in this process: for debugging, and for trial functions that cannot pickle
        for t in tasks:
            on_start(t["id"])
            yield execute_trial(t)
        return
    threads = max(1, (os.cpu_count() or 1) // jobs)
    queue = collections.deque(tasks)
    while queue:
        lost = yield from _run_pool(queue, jobs, threads, on_start)
        if len(lost) > 1:
            # A dead worker breaks the whole pool: rerun each trial it took down on its own, so only
            # the one that kills its worker again fails.
            alone: list[dict[str, Any]] = []
            for one in lost:
                alone += yield from _run_pool(collections.deque([one]), 1, threads, on_start)
            lost = alone
        for t in lost:
            yield died_result(
                t, "the worker process died while this trial ran (killed, out of memory or crashed)"
            )


def _run_pool(
    queue: collections.deque[dict[str, Any]],
    jobs: int,
    threads: int,
    on_start: Callable[[str], None],
) -> Generator[dict[str, Any], None, list[dict[str, Any]]]:
    """Run tasks from ``queue`` in one process pool, yielding results; if a worker dies, return the
    tasks whose outcome was lost with the pool (the queue keeps those not yet started)."""
    import multiprocessing as mp

    # spawn, not fork: workers must not inherit torch/thread state from this process
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp.get_context("spawn"),
        initializer=init_worker,
        initargs=(threads,),
    )
    inflight: dict[Any, dict[str, Any]] = {}
    try:
        while queue or inflight:
            while (
                queue and len(inflight) < jobs
            ):  # at most `jobs` submitted: a crash costs only those
                try:
                    fut = pool.submit(execute_trial, queue[0])
                except BrokenProcessPool:  # a running trial killed its worker meanwhile
                    break
                t = queue.popleft()
                inflight[fut] = t
                on_start(t["id"])
            if not inflight:
                return []
            finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                if isinstance(fut.exception(), BrokenProcessPool):
                    broken = True
                else:
                    yield fut.result()
                    del inflight[fut]
            if broken:
                wait(list(inflight))
                lost = []
                for fut, t in inflight.items():
                    if fut.exception() is None:
                        yield fut.result()
                    else:
                        lost.append(t)
                return lost
        return []
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# ---- live state: which trials run, for `sen sweep status` ---------------------------------------
class _State:
    def __init__(self, out: Path) -> None:
        self.path = out / STATE_FILE
        self.running: list[str] = []
        self.started_at = time.time()
        self._write(True)

    def _write(self, active: bool) -> None:
        atomic_write_json(
            self.path,
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "active": active,
                "started": self.started_at,
                "updated": time.time(),
                "running": self.running,
            },
        )

    def started(self, trial_id: str) -> None:
        self.running.append(trial_id)
        self._write(True)

    def finished(self, trial_id: str) -> None:
        if trial_id in self.running:
            self.running.remove(trial_id)
        self._write(True)

    def close(self) -> None:
        self.running = []
        self._write(False)


# ---- live progress ---------------------------------------------------------------------------
class _Display:
    """A rich progress bar plus one log line per finished trial."""

    def __init__(self, name: str, total: int, done: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self.total, self.done = total, done
        self.progress: Progress | None = None
        self.name = name

    def start(self) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"),
        )
        self.progress = progress
        progress.start()
        self.task = progress.add_task(self.name, total=self.total, completed=self.done, best="")
        if self.done:
            progress.console.print(f"resuming: {self.done} of {self.total} trials already finished")

    def finished(self, result: dict[str, Any], summary: dict[str, Any]) -> None:
        if self.progress is None:
            return
        axes = " ".join(f"{k}={v}" for k, v in result["axes"].items())
        if result["status"] == "ok":
            shown = ", ".join(f"{k}={v:.4g}" for k, v in list(result["metrics"].items())[:3])
            line = (
                f"[green]ok[/] {result['id'][:8]} {axes}  {shown}  ({result['wall_time_s']:.1f} s)"
            )
        else:
            line = f"[red]failed[/] {result['id'][:8]} {axes}  {result['error']}"
        self.progress.console.print(
            f"{time.strftime('%H:%M:%S')} {line}", markup=True, highlight=False
        )
        self.progress.update(self.task, advance=1, best="best: " + format_best(summary["best"]))

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
