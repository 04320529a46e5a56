"""Experiment tracking of a sweep: one MLflow parent run, one nested child run per trial.

The driver owns the MLflow side: it finds or creates the parent (its id kept in
``DIR/mlflow.json``) and, before a trial is dispatched, the trial's child run, looked up by the
``sen.trial_id`` tag first, so a killed-and-rerun sweep never duplicates one. The child's id goes
into the trial's run directory, where the trial's training continues that very run. Every trial
config gets the sweep's ``train.loggers`` (not part of the trial id), so TensorBoard event files
land in each trial directory. A tracking failure warns once and switches tracking off; the sweep
goes on.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from sen_core.sweep._files import PLAN_FILE
from sen_core.sweep.report import CSV_FILE, MD_FILE, PLOT_FILE
from sen_core.sweep.spec import LoadedSweep, Trial
from sen_core.train.trackers import (
    TrackerWarning,
    config_params,
    require_extras,
    resolve_mlflow_uri,
)

TRIAL_TAG = "sen.trial_id"
SWEEP_TAG = "sen.sweep_dir"
PARENT_TAG = "mlflow.parentRunId"  # what MLflow's UI nests runs by


class SweepTracking:
    """The sweep driver's tracking: parent run, child runs, final metrics and report artifacts."""

    def __init__(self, out: Path, sweep: LoadedSweep, trials: list[Trial], loggers: list[str]):
        configs = [t.config for t in trials]
        from_configs = [n for c in configs for n in c.get("train", {}).get("loggers", [])]
        self.loggers = list(dict.fromkeys([*loggers, *from_configs]))
        require_extras(self.loggers)
        self.out, self.sweep = Path(out), sweep
        configured = next(
            (c["train"]["mlflow_uri"] for c in configs if c.get("train", {}).get("mlflow_uri")),
            None,
        )
        self.uri = resolve_mlflow_uri(configured, self.out)
        self.mlflow: Any = None
        self.experiment = self.parent = ""
        self.tracking = "mlflow" in self.loggers
        self._guard("open the parent run", self._open_parent)

    # ---- failures: warn once, then stop tracking ---------------------------------------------
    def _guard(self, what: str, fn: Any, *args: Any) -> Any:
        if not self.tracking:
            return None
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - tracking must never stop a sweep
            self.tracking = False
            warnings.warn(
                f"mlflow logging failed ({what}: {type(exc).__name__}: {exc}); "
                "the sweep goes on without it",
                TrackerWarning,
                stacklevel=3,
            )
        return None

    def _open_parent(self) -> None:
        from sen_core.train.trackers import _mlflow as m

        mlflow = m.client(self.uri)
        run_id = m.existing_run(mlflow, self.out, self.uri)
        experiment = m.experiment_id(mlflow, self.uri)
        if run_id is None:
            found = mlflow.search_runs(
                [experiment],
                filter_string=f"tags.`{SWEEP_TAG}` = '{self.out.resolve()}'",
                max_results=1,
            )
            run_id = found[0].info.run_id if found else None
        if run_id is None:
            run = mlflow.create_run(
                experiment,
                run_name=self.sweep.name,
                tags={SWEEP_TAG: str(self.out.resolve()), "sen.sweep": self.sweep.name},
            )
            run_id = run.info.run_id
            m.log_params(
                mlflow,
                run_id,
                {
                    "sweep.name": self.sweep.name,
                    "sweep.axes": ", ".join(self.sweep.axis_names()),
                    "sweep.metrics": ", ".join(self.sweep.spec.metrics),
                    "sweep.goal": str(self.sweep.spec.goal),
                },
            )
        else:
            mlflow.update_run(run_id, status="RUNNING")
        m.write_tracking(self.out, self.uri, experiment, run_id)
        self.mlflow, self.experiment, self.parent = mlflow, experiment, run_id

    # ---- per trial -----------------------------------------------------------------------------
    def prepare(self, task: dict[str, Any]) -> dict[str, Any]:
        """The task with the loggers in its config, and (MLflow) its child run ready in its dir."""
        if not self.loggers:
            return task
        task = {**task, "config": copy.deepcopy(task["config"])}
        train = task["config"].setdefault("train", {})
        train["mlflow_uri"] = self.uri  # the trial's run dir alone would not lead to this store
        self._guard(f"create the run of trial {task['id']}", self._child, task)
        # without the parent run (tracking failed) trials would log as loose top-level runs
        train["loggers"] = [n for n in self.loggers if n != "mlflow" or self.tracking]
        return task

    def _child(self, task: dict[str, Any]) -> None:
        from sen_core.config.run_config import RunConfig
        from sen_core.train.trackers import _mlflow as m

        found = self.mlflow.search_runs(
            [self.experiment],
            filter_string=f"tags.`{TRIAL_TAG}` = '{task['id']}' and tags.`{PARENT_TAG}` = '{self.parent}'",
            max_results=1,
        )
        if found:
            run_id = found[0].info.run_id
        else:
            config = RunConfig.model_validate(task["config"])
            axes = " ".join(f"{k}={v}" for k, v in task["axes"].items())
            run_id = self.mlflow.create_run(
                self.experiment,
                run_name=f"{task['id'][:8]} {axes}".strip(),
                tags={
                    PARENT_TAG: self.parent,
                    TRIAL_TAG: task["id"],
                    "sen.config_hash": config.hash(),
                    "sen.run_dir": task["trial_dir"],
                    **{f"axis.{k}": str(v) for k, v in task["axes"].items()},
                },
            ).info.run_id
            m.log_params(self.mlflow, run_id, config_params(config))
        m.write_tracking(Path(task["trial_dir"]), self.uri, self.experiment, run_id)

    def catch_up(self, done: dict[str, dict[str, Any]]) -> None:
        """Close the child runs of trials that finished while a killed driver could not log them."""
        self._guard("close runs left open by a killed sweep", self._catch_up, done)

    def _catch_up(self, done: dict[str, dict[str, Any]]) -> None:
        children = self.mlflow.search_runs(
            [self.experiment],
            filter_string=f"tags.`{PARENT_TAG}` = '{self.parent}' and attributes.status = 'RUNNING'",
        )
        for run in children:
            result = done.get(run.data.tags.get(TRIAL_TAG, ""))
            if result is not None and result.get("status") in ("ok", "failed"):
                self._close_child(result)

    def trial_done(self, result: dict[str, Any]) -> None:
        """Final metrics the trial's training did not log itself (custom trial functions), status."""
        self._guard(f"close the run of trial {result['id']}", self._close_child, result)

    def _close_child(self, result: dict[str, Any]) -> None:
        from sen_core.train.trackers import _mlflow as m

        found = self.mlflow.search_runs(
            [self.experiment],
            filter_string=f"tags.`{TRIAL_TAG}` = '{result['id']}' and tags.`{PARENT_TAG}` = '{self.parent}'",
            max_results=1,
        )
        if not found:
            return
        run = found[0]
        missing = {
            k: v
            for k, v in result.get("metrics", {}).items()
            if m.metric_key(k) not in run.data.metrics
        }
        if missing:
            m.log_metrics(self.mlflow, run.info.run_id, missing, step=0)
        if result.get("error"):
            self.mlflow.set_tag(run.info.run_id, "sen.error", str(result["error"])[:5000])
        m.terminate(
            self.mlflow, run.info.run_id, "finished" if result["status"] == "ok" else "failed"
        )

    def finish(self, summary: dict[str, Any]) -> None:
        """The report (results.csv/md, plot, plan) on the parent run, which is then closed."""
        self._guard("close the parent run", self._close_parent, summary)

    def _close_parent(self, summary: dict[str, Any]) -> None:
        from sen_core.train.trackers import _mlflow as m

        for name in (CSV_FILE, MD_FILE, PLOT_FILE, PLAN_FILE):
            if (self.out / name).is_file():
                self.mlflow.log_artifact(self.parent, str(self.out / name))
        counts = {k: float(summary[k]) for k in ("ok", "failed", "pending") if k in summary}
        m.log_metrics(
            self.mlflow, self.parent, {f"trials/{k}": v for k, v in counts.items()}, step=0
        )
        done = summary.get("pending", 0) == 0 and summary.get("failed", 0) == 0
        m.terminate(self.mlflow, self.parent, "finished" if done else "failed")
