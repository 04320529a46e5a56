"""`sen sweep FILE` and `sen sweep status DIR` from the command line."""

import json
import sys

from click.testing import CliRunner

from sen_core.cli import cli


def _sen(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_sweep_then_status(sweep_file, tmp_path):
    """The run prints a summary with the best combination; status reports the finished counts."""
    res = _sen("sweep", sweep_file(), "-j", "0", "--out", tmp_path / "out", "-q")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-2:] == [
        f"sweep: 12 ok, 0 failed, 0 pending of 12 -> {tmp_path / 'out'}",
        "best: score = 0.7178 ± 0.007071 at model.depth=2, model.width=128 (2 seed(s))",
    ]
    status = json.loads(_sen("sweep", "status", tmp_path / "out", "--json").output)
    assert {k: status[k] for k in ("trials", "ok", "failed", "pending", "running", "state")} == {
        "trials": 12,
        "ok": 12,
        "failed": 0,
        "pending": 0,
        "running": 0,
        "state": "finished",
    }


def test_status_of_a_stopped_sweep(sweep_file, tmp_path):
    """Missing result files count as pending and the sweep as stopped; the table view names the best."""
    _sen("sweep", sweep_file(), "-j", "0", "--out", tmp_path / "out", "-q")
    for p in sorted((tmp_path / "out" / "trials").glob("*.json"))[:5]:
        p.unlink()
    status = json.loads(_sen("sweep", "status", tmp_path / "out", "--json").output)
    assert (status["ok"], status["pending"], status["state"]) == (7, 5, "stopped")
    text = _sen("sweep", "status", tmp_path / "out").output
    assert "stopped" in text and "score =" in text


def test_dry_run_lists_trials(sweep_file, tmp_path):
    """--dry-run plans and lists the trials without running any."""
    res = _sen("sweep", sweep_file(), "--dry-run", "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert res.output.count("pending") == 12 and not (tmp_path / "out").exists()


def test_ray_backend_without_ray(sweep_file, tmp_path, monkeypatch):
    """Without ray importable, --backend ray exits 2 telling how to install it."""
    monkeypatch.setitem(sys.modules, "ray", None)
    res = _sen("sweep", sweep_file(), "--backend", "ray", "--out", tmp_path / "out")
    assert res.exit_code == 2
    assert "the ray backend needs Ray, which is not installed: pip install 'sen[ray]'" in res.output
    assert not (tmp_path / "out").exists()


def test_status_of_a_non_sweep_dir(tmp_path):
    """status on a folder without sweep.json is a user error."""
    res = _sen("sweep", "status", tmp_path)
    assert res.exit_code == 2 and "not a sweep directory (no sweep.json)" in res.output


def test_bad_sweep_file_exits_2(sweep_file):
    """A malformed sweep file is reported with its problems and exit 2."""
    res = _sen("sweep", sweep_file(text="base: run.yaml\naxes: {model.depth: 3}\n"))
    assert (
        res.exit_code == 2
        and "sweep.yaml: axes: axis 'model.depth' must be a list of values" in res.output
    )
