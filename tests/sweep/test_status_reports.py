"""`sen sweep status` says finished only once the reports exist; reruns remove killed writers' temp files."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from sen_core.cli import cli
from sen_core.sweep import runner
from sen_core.sweep._files import read_json
from sen_core.sweep.report import write_reports


def _status(out) -> str:
    res = CliRunner().invoke(cli, ["sweep", "status", str(out), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)["state"]


def _run(path, out):
    res = CliRunner().invoke(cli, ["sweep", str(path), "-j", "0", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output


def test_not_finished_while_the_reports_are_written(sweep_file, tmp_path, monkeypatch):
    """During the driver's last report write the sweep is running; after it, finished."""
    seen = []
    real = write_reports  # what the runner calls (imported there from sen_core.sweep.report)

    def spy(out, *, plot=True):
        seen.append((plot, _status(out)))
        return real(out, plot=plot)

    monkeypatch.setattr(runner, "write_reports", spy)
    _run(sweep_file(), tmp_path / "out")
    assert seen[-1] == (True, "running") and _status(tmp_path / "out") == "finished"


def test_missing_or_stale_reports_are_not_finished(sweep_file, tmp_path, count_executions):
    """All trials done but a report missing, or older than a trial result: stopped; a rerun
    (which runs no trial again) rebuilds them and the sweep is finished."""
    out = tmp_path / "out"
    _run(sweep_file(), out)
    assert _status(out) == "finished"
    for name in ("results.csv", "results.md", "plot.png"):
        kept = (out / name).read_bytes()
        (out / name).unlink()
        assert _status(out) == "stopped", name
        (out / name).write_bytes(kept)
    assert _status(out) == "finished"
    newest = max(p.stat().st_mtime for p in (out / "trials").glob("*.json"))
    os.utime(out / "results.md", (newest - 10, newest - 10))
    assert _status(out) == "stopped"
    _run(sweep_file(), out)
    assert _status(out) == "finished"
    assert set(count_executions(out).values()) == {1}


def test_rerun_removes_temp_files_of_killed_writers(sweep_file, tmp_path, count_executions):
    """Temp files (and a temporary checkpoint directory) left by killed writers go on a rerun."""
    out = tmp_path / "out"
    _run(sweep_file(), out)
    plan = read_json(out / "sweep.json")
    assert plan is not None
    tid = plan["trials"][0]["id"]
    trial = out / "trials" / tid
    left = [
        trial / ".curves.png.4242.k3j2h1.tmp",
        trial / ".metrics.jsonl.tmp",
        trial / "checkpoints" / ".step_000002.tmp" / "model.safetensors",
        out / "trials" / f".{tid}.json.4242.abcd.tmp",
        out / ".results.csv.4242.ef01.tmp",
    ]
    for p in left:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")
    (trial / "curves.png").write_bytes(b"real")
    _run(sweep_file(), out)
    assert not list(out.rglob(".*.tmp")) and not any(p.exists() for p in left)
    assert (trial / "curves.png").read_bytes() == b"real"
    assert set(count_executions(out).values()) == {1} and _status(out) == "finished"
