"""The runner: result files, failed trials as rows, resume semantics, worker processes."""

import csv
import json

import pytest

from sen_core.sweep import run_sweep


def _rows(out):
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_results_files(sweep_file, monkeypatch, tmp_path):
    """One trial file per trial, a CSV row each, failed trials as rows with their error."""
    monkeypatch.setenv("SEN_FAKE_FAIL_DEPTH", "2")
    summary = run_sweep(str(sweep_file()), tmp_path / "out", jobs=0, progress=False)
    out = tmp_path / "out"
    assert (summary["ok"], summary["failed"], summary["pending"], summary["state"]) == (
        8,
        4,
        0,
        "finished",
    )
    rows = _rows(out)
    assert list(rows[0]) == [
        "trial",
        "status",
        "model.depth",
        "model.width",
        "seed",
        "score",
        "loss/total",
        "wall_time_s",
        "error",
    ]
    assert len(rows) == 12 == len(list((out / "trials").glob("*.json")))
    assert rows[0]["score"] == "0.5064" and rows[0]["status"] == "ok"
    failed = [r for r in rows if r["status"] == "failed"]
    assert {r["model.depth"] for r in failed} == {"2"}
    assert (
        failed[0]["error"] == "RuntimeError: depth 2 is not supported here"
        and failed[0]["score"] == ""
    )
    result = json.loads((out / "trials" / f"{failed[0]['trial']}.json").read_text())
    assert result["status"] == "failed" and "Traceback" in result["traceback"]
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_groups_seeds_best_first(sweep_file, tmp_path):
    """results.md: mean ± std over the two seeds per combination, the best combination first."""
    run_sweep(str(sweep_file()), tmp_path / "out", jobs=0, progress=False)
    lines = (tmp_path / "out" / "results.md").read_text().splitlines()
    table = [ln for ln in lines if ln.startswith("| ")]
    assert (
        table[0]
        == "| rank | model.depth | model.width | score | loss/total | seeds ok | wall time (s, sum) |"
    )
    assert table[1].startswith("| 1 | 2 | 128 | 0.7178 ± 0.007071 | 0.2822 ± 0.007071 | 2/2 |")
    assert [r.split(" | ")[1:3] for r in table[1:]] == [
        ["2", "128"],
        ["2", "64"],
        ["1", "128"],
        ["1", "64"],
        ["0", "128"],
        ["0", "64"],
    ]


def test_rerun_skips_finished_and_retries_failed(
    sweep_file, monkeypatch, tmp_path, count_executions
):
    """A rerun runs only failed trials; with retry_failed=False nothing runs; rows stay unique."""
    out = tmp_path / "out"
    monkeypatch.setenv("SEN_FAKE_FAIL_DEPTH", "0")
    run_sweep(str(sweep_file()), out, jobs=0, progress=False)
    monkeypatch.delenv("SEN_FAKE_FAIL_DEPTH")
    summary = run_sweep(str(sweep_file()), out, jobs=0, progress=False)
    counts = count_executions(out)
    rows = _rows(out)
    depth0 = {r["trial"] for r in rows if r["model.depth"] == "0"}
    assert summary["ok"] == 12 and len(rows) == 12 == len({r["trial"] for r in rows})
    assert all(counts[t] == (2 if t in depth0 else 1) for t in counts) and len(counts) == 12
    run_sweep(str(sweep_file()), out, jobs=0, progress=False, retry_failed=False)
    assert count_executions(out) == counts


def test_skip_failed_keeps_failed_rows(sweep_file, monkeypatch, tmp_path, count_executions):
    """retry_failed=False leaves a failed trial failed (not rerun)."""
    out = tmp_path / "out"
    monkeypatch.setenv("SEN_FAKE_FAIL_DEPTH", "1")
    run_sweep(str(sweep_file()), out, jobs=0, progress=False)
    monkeypatch.delenv("SEN_FAKE_FAIL_DEPTH")
    summary = run_sweep(str(sweep_file()), out, jobs=0, progress=False, retry_failed=False)
    assert (summary["ok"], summary["failed"]) == (8, 4)
    assert sum(count_executions(out).values()) == 12


def test_worker_processes_match_in_process(sweep_file, monkeypatch, tmp_path):
    """-j 2 (spawned workers) gives the same rows as -j 0; a worker that dies fails only its own trial."""
    text = "base: run.yaml\ntrial: _sweep_fakes:fake_trial\naxes: {model.depth: [0, 1, 2, 3]}\ncache: false\n"
    path = str(sweep_file(text=text))
    monkeypatch.setenv("SEN_FAKE_CRASH_DEPTH", "1")
    monkeypatch.setenv(
        "SEN_FAKE_SLEEP", "0.3"
    )  # trials overlap, so the crash takes a neighbour's pool down too
    run_sweep(path, tmp_path / "a", jobs=2, progress=False)
    monkeypatch.delenv("SEN_FAKE_CRASH_DEPTH")
    monkeypatch.delenv("SEN_FAKE_SLEEP")
    monkeypatch.setenv("SEN_FAKE_FAIL_DEPTH", "1")
    run_sweep(path, tmp_path / "b", jobs=0, progress=False)
    drop = ("wall_time_s", "error")
    a = [{k: v for k, v in r.items() if k not in drop} for r in _rows(tmp_path / "a")]
    b = [{k: v for k, v in r.items() if k not in drop} for r in _rows(tmp_path / "b")]
    assert a == b
    assert [r["status"] for r in a] == ["ok", "failed", "ok", "ok"]
    assert _rows(tmp_path / "a")[1]["error"].startswith(
        "the worker process died while this trial ran"
    )


def test_bad_backend_and_jobs(sweep_file, tmp_path):
    """Unknown backend and negative jobs are user errors."""
    from sen_core.errors import SenError

    with pytest.raises(SenError, match="unknown backend 'slurm'"):
        run_sweep(str(sweep_file()), tmp_path / "o", backend="slurm")
    with pytest.raises(SenError, match="jobs must be >= 0"):
        run_sweep(str(sweep_file()), tmp_path / "o", jobs=-1)


def test_refuses_a_directory_in_use(sweep_file, tmp_path):
    """A second driver on a directory whose recorded driver is alive is refused."""
    import os
    import socket

    from sen_core._io import atomic_write_json
    from sen_core.errors import SenError

    out = tmp_path / "out"
    atomic_write_json(
        out / "state.json", {"pid": os.getppid(), "host": socket.gethostname(), "active": True}
    )
    with pytest.raises(
        SenError, match=f"a sweep is already running in {out} \\(pid {os.getppid()}\\)"
    ):
        run_sweep(str(sweep_file()), out, jobs=0, progress=False)
