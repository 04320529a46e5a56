"""The Ray backend runs the same trials into the same result files (local Ray, 2 CPUs)."""

import csv
import importlib.util
import logging

import pytest

from sen_core.sweep import run_sweep

# find_spec, not importorskip: importing Ray while collecting costs every pytest-xdist worker ~1 s
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is not installed"
)


def _rows(out):
    with open(out / "results.csv", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "wall_time_s"} for r in csv.DictReader(fh)]


@pytest.mark.slow
def test_ray_matches_local(sweep_file, tmp_path, monkeypatch, count_executions):
    """Ray trials give the rows of the in-process run, a failure included; a rerun skips them all."""
    monkeypatch.setenv("SEN_FAKE_FAIL_DEPTH", "2")
    path = str(sweep_file())
    run_sweep(path, tmp_path / "local", jobs=0, progress=False)
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": {"SEN_FAKE_FAIL_DEPTH": "2"}},
    )
    try:
        summary = run_sweep(path, tmp_path / "ray", jobs=2, backend="ray", progress=False)
        again = run_sweep(path, tmp_path / "ray", jobs=2, backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert (summary["ok"], summary["failed"]) == (8, 4)
    assert _rows(tmp_path / "ray") == _rows(tmp_path / "local")
    assert again["failed"] == 4 and sum(count_executions(tmp_path / "ray").values()) == 12 + 4
