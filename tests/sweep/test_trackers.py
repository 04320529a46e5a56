"""Sweep tracking: one MLflow parent run with one nested run per trial, no duplicates after a kill."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import pytest

from sen_core.sweep._files import read_json

# find_spec, not importorskip: importing MLflow while collecting costs every xdist worker ~1 s
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None, reason="mlflow is not installed"
)

FOUR = """\
base: run.yaml
trial: _sweep_fakes:fake_trial
axes:
  model.depth: [0, 1]
seeds: [0, 1]
metrics: [score]
cache: false
"""


def _sweep(path, out, env):
    cmd = [sys.executable, "-m", "sen_core", "sweep", str(path), "-j", "1", "--out", str(out)]
    return subprocess.Popen(
        [*cmd, "-q", "--log", "mlflow"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _ok(out):
    return [
        p for p in (out / "trials").glob("*.json") if (read_json(p) or {}).get("status") == "ok"
    ]


def test_killed_sweep_rerun_has_one_parent_and_one_child_per_trial(
    sweep_file, tmp_path, mlflow_uri, count_executions, sigkill_sweep
):
    """SIGKILL after the first trial, rerun: 1 parent + exactly 4 children, tagged, with metrics."""
    from sen_core.train.trackers._mlflow import client

    path, out = sweep_file(text=FOUR), tmp_path / "out"
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_uri, "MLFLOW_EXPERIMENT_NAME": "kill"}
    proc = _sweep(path, out, {**env, "SEN_FAKE_SLEEP": "1.0"})
    deadline = time.monotonic() + 120
    while not (out / "trials").is_dir() or not _ok(out):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
        time.sleep(0.05)
    sigkill_sweep(proc)
    assert 1 <= len(_ok(out)) < 4, "the sweep must be killed part-way"

    rerun = _sweep(path, out, {**env, "SEN_FAKE_SLEEP": "0"})
    output = rerun.communicate(timeout=180)[0].decode()
    assert rerun.returncode == 0, output
    assert "Warning" not in output, output

    mlflow = client(mlflow_uri)
    exp = mlflow.get_experiment_by_name("kill").experiment_id
    runs = mlflow.search_runs([exp])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 4
    (parent,) = parents
    assert parent.info.status == "FINISHED" and parent.data.metrics["trials/ok"] == 4
    assert {a.path for a in mlflow.list_artifacts(parent.info.run_id)} >= {
        "results.csv",
        "results.md",
        "sweep.json",
    }
    plan = read_json(out / "sweep.json")
    assert plan is not None
    ids = sorted(t["id"] for t in plan["trials"])
    assert sorted(c.data.tags["sen.trial_id"] for c in children) == ids
    assert set(count_executions(out)) == set(ids)  # --log did not change any trial's config hash
    for child in children:
        tags, trial = child.data.tags, child.data.tags["sen.trial_id"]
        assert tags["mlflow.parentRunId"] == parent.info.run_id
        assert tags["sen.config_hash"] == trial and child.info.status == "FINISHED"
        result = read_json(out / "trials" / f"{trial}.json")
        assert result is not None
        assert child.data.metrics["score"] == pytest.approx(result["metrics"]["score"])
        assert child.data.params["model.depth"] == str(result["axes"]["model.depth"])
        link = read_json(out / "trials" / trial / "mlflow.json")
        assert link is not None and link["run_id"] == child.info.run_id


def test_log_names_are_checked(sweep_file):
    """An unknown logger is a one-line error before anything runs."""
    from click.testing import CliRunner

    from sen_core.cli import cli

    res = CliRunner().invoke(cli, ["sweep", str(sweep_file(text=FOUR)), "--log", "wandb"])
    assert res.exit_code == 2 and "unknown logger 'wandb'" in res.output
    assert "Traceback" not in res.output
