"""Experiment trackers: what train() logs to MLflow (read back with the client) and TensorBoard
(read back with its event reader), resume continuing the same runs, failures that never stop training."""

from __future__ import annotations

import importlib.util
import warnings

import pytest

from sen_core.errors import ConfigError
from sen_core.train import trackers

# find_spec, not importorskip: importing MLflow and TensorBoard while collecting costs every
# pytest-xdist worker ~1.5 s
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("mlflow", "tensorboard")),
    reason="mlflow or tensorboard is not installed",
)


@pytest.fixture
def logged(mlflow_uri, monkeypatch, tmp_path):
    """Point MLflow at the session's store (tests/conftest.py), under a per-test experiment."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", tmp_path.name)
    from sen_core.train.trackers._mlflow import client

    return client(mlflow_uri)


def _runs(mlflow, name):
    exp = mlflow.get_experiment_by_name(name)
    return mlflow.search_runs([exp.experiment_id]) if exp else []


def _scalars(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return acc, {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]
    }


def test_train_logs_params_metrics_artifacts(run_train, logged, tmp_path):
    """One MLflow run with the flattened config, per-step and final metrics, artifacts; TB scalars."""
    result, _, run_dir = run_train("r", loggers=["mlflow", "tensorboard"], steps=4, log_every=2)
    (run,) = _runs(logged, tmp_path.name)
    assert run.info.status == "FINISHED" and run.info.run_name == "fake"
    params = run.data.params
    assert params["train.steps"] == "4" and params["train.lr"] == "0.05"
    assert params["model.neurons.0.name"] == "sen/minilm-l6@1"
    assert "train.loggers" not in params and int(params["parameters.trainable"]) > 0
    assert (
        run.data.tags["sen.config_hash"]
        == (run_dir / "run.json").read_text().split('"config_hash": "')[1][:16]
    )
    for key in ("loss", "train/loss", "train/lr", "eval/loss"):
        assert key in run.data.metrics
    assert run.data.metrics["loss"] == pytest.approx(result["loss"])
    history = logged.get_metric_history(run.info.run_id, "train/loss")
    assert [m.step for m in history] == [2, 4]
    arts = {a.path for a in logged.list_artifacts(run.info.run_id)}
    assert {"config.yaml", "final.json", "run.json"} <= arts

    acc, scalars = _scalars(run_dir)
    assert [s for s, _ in scalars["train/loss"]] == [2, 4]
    assert [s for s, _ in scalars["train/lr"]] == [2, 4]
    assert scalars["loss"] == [(4, pytest.approx(result["loss"]))]
    assert {"config/text_summary", "parameters/text_summary"} <= set(acc.Tags()["tensors"])


def test_resume_continues_the_same_runs(run_train, logged, tmp_path):
    """A stopped run resumed: still one MLflow run, and TensorBoard's steps go on from the checkpoint."""
    from sen_core.train import engine

    calls = {"n": 0}
    real = engine._Trainer._one_step

    def dies_at_step_5(self, stream):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(self, stream)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine._Trainer, "_one_step", dies_at_step_5)
        with pytest.raises(KeyboardInterrupt):
            run_train("r", loggers=["mlflow", "tensorboard"], steps=6, log_every=1)
    (run,) = _runs(logged, tmp_path.name)
    assert run.info.status == "KILLED"
    run_train("r", resume=True, loggers=["mlflow", "tensorboard"], steps=6, log_every=1)
    (again,) = _runs(logged, tmp_path.name)
    assert again.info.run_id == run.info.run_id and again.info.status == "FINISHED"
    history = logged.get_metric_history(run.info.run_id, "train/loss")
    # the checkpoint is at step 3: steps 1-4 from the first attempt, 4-6 from the resumed one
    assert sorted(m.step for m in history) == [1, 2, 3, 4, 4, 5, 6]
    _, scalars = _scalars(tmp_path / "r")
    assert [s for s, _ in scalars["train/loss"]] == [1, 2, 3, 4, 5, 6]  # purged after step 3


def test_missing_extra_is_a_config_error(run_train, monkeypatch):
    """A logger whose package is not installed: one line naming the pip command, nothing trained."""
    real = importlib.util.find_spec  # the module trackers looks extras up with
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "mlflow" else real(name, *a),
    )
    with pytest.raises(ConfigError, match=r"pip install 'sen\[mlflow\]'") as exc:
        run_train("r", loggers=["mlflow"])
    assert "\n" not in str(exc.value)


def test_failing_tracker_warns_once_and_training_goes_on(run_train, monkeypatch, tmp_path):
    """A store that breaks mid-run: one TrackerWarning, the run finishes, TensorBoard keeps logging."""
    from sen_core.train.trackers import _mlflow

    def broken(self, metrics, *, step):
        raise OSError("disk full")

    monkeypatch.setattr(_mlflow.MLflowTracker, "log_metrics", broken)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setattr(_mlflow, "client", lambda uri: _FakeClient())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, _, run_dir = run_train("r", loggers=["mlflow", "tensorboard"], steps=4)
    ours = [w for w in caught if issubclass(w.category, trackers.TrackerWarning)]
    assert len(ours) == 1 and "mlflow logging failed in log_metrics()" in str(ours[0].message)
    assert result["step"] == 4
    assert [s for s, _ in _scalars(run_dir)[1]["train/loss"]] == [2, 4]


class _FakeClient:
    """Enough of MlflowClient to open a run (the failure under test comes later)."""

    def get_experiment_by_name(self, name):
        return type("E", (), {"experiment_id": "1"})()

    def create_run(self, experiment, run_name, tags):
        return type("R", (), {"info": type("I", (), {"run_id": "abc"})()})()

    def log_batch(self, *a, **k):
        pass


def test_loggers_do_not_change_the_config_hash(fk):
    """Where a run is logged is not part of its identity (resume and sweep trial ids stay)."""
    plain = fk.make_config()
    logged = fk.make_config(loggers=["mlflow"], mlflow_uri="sqlite:///elsewhere.db")
    assert plain.hash() == logged.hash()


def test_parse_loggers_and_default_uri(tmp_path):
    """--log parsing and the SQLite default next to the nearest runs/ folder."""
    assert trackers.parse_loggers("tensorboard, mlflow,mlflow") == ["tensorboard", "mlflow"]
    assert trackers.parse_loggers("") == []
    with pytest.raises(ConfigError, match="unknown logger 'wandb'"):
        trackers.parse_loggers("wandb")
    run_dir = tmp_path / "runs" / "sweeps" / "s" / "trials" / "abc"
    assert trackers.default_mlflow_uri(run_dir) == f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"
    assert (
        trackers.default_mlflow_uri(tmp_path / "x" / "r")
        == f"sqlite:///{tmp_path / 'x' / 'mlflow.db'}"
    )
    assert trackers.flatten_params({"a": {"b": [1, {"c": None}], "d": []}}) == {
        "a.b.0": "1",
        "a.b.1.c": "None",
        "a.d": "[]",
    }
