"""MLflow tracker: one MLflow run per training run, through ``MlflowClient`` (no global state).

The run's id is kept in ``RUN_DIR/mlflow.json`` with its tracking URI, so a resumed run (or a
sweep trial whose run the sweep created) logs into the same MLflow run. SQLite stores get their
artifacts next to the database (``mlflow-artifacts/``) rather than in ``./mlruns`` of the cwd.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from sen_core._io import atomic_write_json

TRACKING_FILE = "mlflow.json"
_BATCH = 100  # MLflow accepts at most 100 params per log_batch call
_STATUS = {"finished": "FINISHED", "failed": "FAILED", "diverged": "FAILED", "stopped": "KILLED"}


def client(uri: str) -> Any:
    """An MlflowClient for ``uri``, with alembic's schema-migration chatter silenced."""
    from mlflow.tracking import MlflowClient

    for name in ("alembic", "mlflow.store.db.utils"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowClient(tracking_uri=uri)


def experiment_id(mlflow: Any, uri: str) -> str:
    """The id of ``$MLFLOW_EXPERIMENT_NAME`` (default ``sen``), created when missing."""
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or "sen"
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///") :]).parent / "mlflow-artifacts").resolve().as_uri()
    try:
        return str(mlflow.create_experiment(name, artifact_location=location))
    except Exception:  # another process created it first: use theirs
        found = mlflow.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def read_tracking(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(run_dir) / TRACKING_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_tracking(run_dir: Path, uri: str, experiment: str, run_id: str) -> None:
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_json(
        Path(run_dir) / TRACKING_FILE,
        {"tracking_uri": uri, "experiment_id": experiment, "run_id": run_id},
    )


def existing_run(mlflow: Any, run_dir: Path, uri: str) -> str | None:
    """The run id recorded in ``run_dir`` for this store, if that run still exists."""
    state = read_tracking(run_dir)
    if state.get("tracking_uri") != uri or not state.get("run_id"):
        return None
    try:
        mlflow.get_run(state["run_id"])
    except Exception:  # noqa: BLE001 - deleted or unknown: start a new run
        return None
    return str(state["run_id"])


def metric_key(name: str) -> str:
    # MLflow keys allow letters, digits, _ - . / and spaces; anything else becomes _
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", name)


def log_params(mlflow: Any, run_id: str, params: dict[str, str]) -> None:
    from mlflow.entities import Param

    items = [Param(metric_key(k)[:250], v) for k, v in params.items()]
    for i in range(0, len(items), _BATCH):
        mlflow.log_batch(run_id, params=items[i : i + _BATCH])


def log_metrics(mlflow: Any, run_id: str, metrics: dict[str, float], step: int) -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    items = [Metric(metric_key(k), float(v), now, step) for k, v in metrics.items()]
    for i in range(0, len(items), 1000):
        mlflow.log_batch(run_id, metrics=items[i : i + 1000])


def terminate(mlflow: Any, run_id: str, status: str) -> None:
    mlflow.set_terminated(run_id, _STATUS.get(status, status))


class MLflowTracker:
    """One MLflow run for one run directory; reopened (not duplicated) on resume."""

    name = "mlflow"

    def __init__(self, run_dir: Path, *, uri: str, run_name: str, tags: dict[str, str]) -> None:
        self.run_dir, self.uri, self.run_name, self.tags = Path(run_dir), uri, run_name, tags
        self.mlflow: Any = None
        self.run_id = ""

    def start(self, *, step: int) -> None:
        self.mlflow = client(self.uri)
        run_id = existing_run(self.mlflow, self.run_dir, self.uri)
        if run_id is not None:
            self.mlflow.update_run(run_id, status="RUNNING")
        else:
            experiment = experiment_id(self.mlflow, self.uri)
            run_id = self.mlflow.create_run(
                experiment, run_name=self.run_name, tags=self.tags
            ).info.run_id
            write_tracking(self.run_dir, self.uri, experiment, run_id)
        self.run_id = run_id

    def log_params(self, params: dict[str, str]) -> None:
        log_params(self.mlflow, self.run_id, params)

    def log_metrics(self, metrics: dict[str, float], *, step: int) -> None:
        log_metrics(self.mlflow, self.run_id, metrics, step)

    def log_artifact(self, path: Path) -> None:
        self.mlflow.log_artifact(self.run_id, str(path))

    def finish(self, status: str) -> None:
        terminate(self.mlflow, self.run_id, status)
