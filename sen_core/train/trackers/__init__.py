"""Experiment trackers: TensorBoard event files and MLflow runs, fed by the training engine.

A ``Tracker`` receives the flattened resolved config (params), per-step metrics, final metrics and
artifacts. ``open_run_trackers`` builds the ones ``train.loggers`` names; ``TrackerSet`` fans calls
out and switches a failing tracker off with one warning, so logging never stops training. The
libraries are optional extras, imported only when a tracker is opened (``sen list`` stays light).
"""

from __future__ import annotations

import importlib.util
import math
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sen_core.errors import ConfigError

if TYPE_CHECKING:
    from sen_core.config.run_config import RunConfig

__all__ = [
    "LOGGERS",
    "Tracker",
    "TrackerSet",
    "TrackerWarning",
    "default_mlflow_uri",
    "flatten_params",
    "open_run_trackers",
    "parameter_counts",
    "parse_loggers",
    "require_extras",
    "resolve_mlflow_uri",
]

# logger name -> (module whose presence means the extra is installed, extra name)
LOGGERS = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow")}
_PARAM_VALUE_MAX = 6000  # MLflow's limit on one param value


class TrackerWarning(UserWarning):
    """A tracker failed; it is switched off for the rest of the run and training goes on."""


class Tracker(Protocol):
    """One logging backend. Every method may raise: ``TrackerSet`` catches and warns once."""

    name: str

    def start(self, *, step: int) -> None:
        """Open (or, on resume, reopen) the run; ``step`` is where training starts."""

    def log_params(self, params: dict[str, str]) -> None:
        """The flattened resolved config and parameter counts."""

    def log_metrics(self, metrics: dict[str, float], *, step: int) -> None:
        """Scalars at one optimizer step."""

    def log_artifact(self, path: Path) -> None:
        """A file of the run directory (config.yaml, curves.png, final.json, a sweep's report)."""

    def finish(self, status: str) -> None:
        """Close the run; ``status`` is run.json's: 'finished', 'stopped', 'failed', 'diverged'."""


class TrackerSet:
    """Fan-out over trackers: the first exception of a tracker warns once and switches it off."""

    def __init__(self, trackers: Iterable[Tracker] = ()) -> None:
        self.live: list[Tracker] = list(trackers)

    def __bool__(self) -> bool:
        return bool(self.live)

    def _each(self, method: str, *args: Any, **kwargs: Any) -> None:
        for tracker in list(self.live):
            try:
                getattr(tracker, method)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a logging failure must never stop training
                self.live.remove(tracker)
                warnings.warn(
                    f"{tracker.name} logging failed in {method}() and is off for the rest of this "
                    f"run ({type(exc).__name__}: {exc}); training goes on",
                    TrackerWarning,
                    stacklevel=3,
                )

    def start(self, *, step: int) -> None:
        self._each("start", step=step)

    def log_params(self, params: dict[str, str]) -> None:
        self._each("log_params", params)

    def log_metrics(self, metrics: dict[str, Any], *, step: int) -> None:
        clean = {k: float(v) for k, v in metrics.items() if _is_finite_number(v)}
        if clean:
            self._each("log_metrics", clean, step=step)

    def log_record(self, record: dict[str, Any], ignore: Iterable[str]) -> None:
        """A metrics.jsonl record: ``train`` scalars as ``train/<k>``, ``eval`` ones as ``eval/<k>``."""
        kind = record.get("kind")
        if kind not in ("train", "eval") or "step" not in record:
            return
        skip = set(ignore)
        self.log_metrics(
            {f"{kind}/{k}": v for k, v in record.items() if k not in skip},
            step=int(record["step"]),
        )

    def finish(self, status: str, *, final: dict[str, Any], artifacts: Iterable[Path]) -> None:
        """Final metrics (under their own names) at the final step, the artifacts, then close."""
        if not self.live:
            return
        step = int(final.get("step", 0))
        self.log_metrics({k: v for k, v in final.items() if k != "step"}, step=step)
        for path in artifacts:
            if Path(path).is_file():
                self._each("log_artifact", Path(path))
        self._each("finish", status)


def _is_finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---- configuration -------------------------------------------------------------------------------
def parse_loggers(text: str | None, *, where: str = "--log") -> list[str]:
    """``"tensorboard,mlflow"`` -> ``["tensorboard", "mlflow"]``; unknown names are a ConfigError."""
    names = [n.strip().lower() for n in (text or "").split(",") if n.strip()]
    bad = [n for n in names if n not in LOGGERS]
    if bad:
        raise ConfigError(
            f"{where}: unknown logger '{bad[0]}'; expected a comma-separated list of "
            f"{', '.join(LOGGERS)}"
        )
    return list(dict.fromkeys(names))


def require_extras(names: Iterable[str]) -> None:
    """A ConfigError with the pip command when a named logger's optional extra is not installed."""
    for name in names:
        module, extra = LOGGERS[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"train.loggers: '{name}' needs the optional extra: pip install 'sen[{extra}]' "
                f"(in a checkout: pip install -e '.[{extra}]')"
            )


def default_mlflow_uri(run_dir: str | os.PathLike[str]) -> str:
    """``sqlite:///<runs>/mlflow.db``: the nearest ``runs`` folder above ``run_dir``, else its parent."""
    path = Path(run_dir).resolve()
    root = next((p for p in path.parents if p.name == "runs"), path.parent)
    return f"sqlite:///{root / 'mlflow.db'}"


def resolve_mlflow_uri(configured: str | None, run_dir: str | os.PathLike[str]) -> str:
    """The config's ``train.mlflow_uri``, else ``$MLFLOW_TRACKING_URI``, else the SQLite default."""
    return configured or os.environ.get("MLFLOW_TRACKING_URI") or default_mlflow_uri(run_dir)


def flatten_params(data: Any, prefix: str = "") -> dict[str, str]:
    """Nested config -> ``{"model.neurons.0.name": "..."}`` (list items by index), values as text."""
    out: dict[str, str] = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(flatten_params(v, f"{prefix}{k}."))
    elif isinstance(data, (list, tuple)) and data:
        for i, v in enumerate(data):
            out.update(flatten_params(v, f"{prefix}{i}."))
    else:
        text = "[]" if data == [] else "{}" if data == {} else str(data)
        out[prefix[:-1]] = (
            text if len(text) <= _PARAM_VALUE_MAX else text[: _PARAM_VALUE_MAX - 1] + "…"
        )
    return out


def config_params(config: RunConfig) -> dict[str, str]:
    """The flattened resolved config, without the keys that only say where the run is logged."""
    from sen_core.config.run_config import TRACKING_KEYS

    return flatten_params(config.model_dump(mode="json", exclude={"train": set(TRACKING_KEYS)}))


# ---- the engine's entry point --------------------------------------------------------------------
def open_run_trackers(
    config: RunConfig,
    run_dir: Path,
    *,
    step: int,
    net: Any = None,
    enabled: bool = True,
) -> TrackerSet:
    """The trackers ``config.train.loggers`` names, started at ``step`` with the params logged.

    Raises ConfigError when a named logger's extra is missing (before any training happens).
    """
    names = list(config.train.loggers) if enabled else []
    require_extras(names)
    trackers: list[Tracker] = []
    for name in names:
        if name == "tensorboard":
            from sen_core.train.trackers._tensorboard import TensorBoardTracker

            trackers.append(TensorBoardTracker(run_dir))
        else:
            from sen_core.train.trackers._mlflow import MLflowTracker

            trackers.append(
                MLflowTracker(
                    run_dir,
                    uri=resolve_mlflow_uri(config.train.mlflow_uri, run_dir),
                    run_name=config.name,
                    tags={"sen.config_hash": config.hash(), "sen.run_dir": str(run_dir.resolve())},
                )
            )
    tracked = TrackerSet(trackers)
    if tracked:
        tracked.start(step=step)
        counts = {f"parameters.{k}": str(v) for k, v in parameter_counts(net).items()}
        tracked.log_params({**config_params(config), **counts})
    return tracked


def parameter_counts(net: Any) -> dict[str, int]:
    """``{"total": N, "trainable": M}`` of a torch module (anything with ``parameters()``)."""
    params = list(net.parameters()) if hasattr(net, "parameters") else []
    return {
        "total": sum(p.numel() for p in params),
        "trainable": sum(p.numel() for p in params if p.requires_grad),
    }
