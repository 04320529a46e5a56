"""A sweep killed with SIGKILL (driver and workers) resumes: no finished trial reruns, no bad rows."""

import csv
import os
import subprocess
import sys
import time

from sen_core.sweep._files import read_json


def _sen_sweep(path, out, env, **kw):
    cmd = [sys.executable, "-m", "sen_core", "sweep", str(path), "-j", "2", "--out", str(out), "-q"]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kw
    )


def _ok_ids(out):
    trials = out / "trials"
    return (
        {p.stem for p in trials.glob("*.json") if (read_json(p) or {}).get("status") == "ok"}
        if trials.is_dir()
        else set()
    )


def _csv(out):
    with open(out / "results.csv", newline="") as fh:
        return list(csv.reader(fh))


def test_sigkill_then_resume(sweep_file, tmp_path, count_executions, sigkill_sweep):
    """Kill the whole process group mid-sweep; the rerun completes the table exactly once per trial."""
    path, out = sweep_file(), tmp_path / "out"
    env = {**os.environ, "SEN_FAKE_SLEEP": "0.4"}
    proc = _sen_sweep(path, out, env)
    deadline = time.monotonic() + 120
    while len(_ok_ids(out)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    sigkill_sweep(proc)
    finished = _ok_ids(out)
    assert 3 <= len(finished) < 12, "the sweep must be killed part-way"

    table = _csv(out)  # whatever was on disk at the kill: whole rows only, each trial once
    assert all(len(row) == len(table[0]) for row in table)
    assert len({row[0] for row in table[1:]}) == len(table) - 1 <= len(finished)

    rerun = _sen_sweep(path, out, {**os.environ, "SEN_FAKE_SLEEP": "0"})
    output = rerun.communicate(timeout=180)[0].decode()
    assert rerun.returncode == 0, output

    counts = count_executions(out)
    assert all(counts[t] == 1 for t in finished), "a finished trial ran again"
    table = _csv(out)
    ids = [row[0] for row in table[1:]]
    plan = read_json(out / "sweep.json")
    assert plan is not None
    assert sorted(ids) == sorted(t["id"] for t in plan["trials"]) and len(set(ids)) == 12
    assert all(len(row) == len(table[0]) and row[1] == "ok" for row in table[1:])
    assert set(counts) == set(ids)
    assert not list(out.rglob("*.tmp"))
