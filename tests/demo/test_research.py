"""The research report: mean ± std per network and paired 95% t-intervals against RA K=0, written
from a sweep directory's files (a synthetic one: the statistics, not the training, are under test)."""

from __future__ import annotations

import json
import math

from click.testing import CliRunner

from sen_core.app.research import table, write_report
from sen_core.cli import cli

METRICS = ["classify/top1", "tracking/TC"]
# network -> per-seed (top-1, TC); ra-k1 beats K=0 by 0.1, 0.2, 0.3 on top-1
SCORES = {
    "ra-k0": [(0.2, 10.0), (0.3, 11.0), (0.4, 12.0)],
    "ra-k1": [(0.3, 10.0), (0.5, 11.5), (0.7, 12.0)],
    "late-fusion": [(0.2, 10.0), (0.3, 11.0), (0.4, 12.0)],
}


def _sweep(tmp_path, failed: bool = False):
    trials, root = [], tmp_path / "sweep"
    (root / "trials").mkdir(parents=True)
    for net, rows in SCORES.items():
        for seed, (top1, tc) in enumerate(rows):
            tid = f"{net}-{seed}"
            trials.append({"id": tid, "axes": {"network": net, "seed": seed}})
            ok = not (failed and net == "late-fusion" and seed == 2)
            result = {
                "status": "ok" if ok else "failed",
                "metrics": {"classify/top1": top1, "tracking/TC": tc} if ok else {},
                "wall_time_s": 2.0,
                "error": None if ok else "RuntimeError: boom",
            }
            (root / "trials" / f"{tid}.json").write_text(json.dumps(result))
    plan = {
        "axes": ["network", "seed"],
        "metrics": METRICS,
        "trials": trials,
        "spec": {"overrides": ["train.steps=40"]},
    }
    (root / "sweep.json").write_text(json.dumps(plan))
    return root


def test_paired_differences_against_k0(tmp_path):
    """ra-k1 - ra-k0 per seed is 0.1, 0.2, 0.3: mean 0.2, half-width 4.303 * 0.1 / sqrt(3)."""
    from sen_core.sweep.report import collect

    _, rows, _, metrics = collect(_sweep(tmp_path))
    nets = table(rows, metrics)
    mean, lo, hi, n = nets["ra-k1"]["diff:classify/top1"]
    half = 4.303 * 0.1 / math.sqrt(3)
    assert n == 3 and math.isclose(mean, 0.2) and math.isclose(hi - lo, 2 * half)
    assert nets["late-fusion"]["diff:classify/top1"][:3] == (0.0, 0.0, 0.0)
    m, s, k = nets["ra-k0"]["classify/top1"]
    assert (k, round(m, 12), round(s, 12)) == (3, 0.3, 0.1)


def test_report_states_settings_intervals_and_failures(tmp_path):
    """The page names the command, settings, machine, both tables, the PNG and a failed trial."""
    root = _sweep(tmp_path, failed=True)
    out = write_report(root, tmp_path / "docs" / "results.md", command="sen bench research")
    text = out.read_text()
    assert "Regenerate: `sen bench research`" in text and "train.steps=40" in text
    assert "| ra-k1 | 3 | 0.500 ± 0.200 | 11.167 ± 1.041 |" in text
    assert "| ra-k1 | +0.200 [-0.048, +0.448] | +0.167 [-0.550, +0.884] |" in text
    assert "tracking/TC ↓" in text and "Machine: " in text and "CPU cores" in text
    assert "late-fusion seed 2: RuntimeError: boom" in text
    assert (tmp_path / "docs" / "results.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_research_bad_override_exits_2(tmp_path):
    """A misspelt override is refused before any trial runs: exit 2, one line."""
    res = CliRunner().invoke(
        cli, ["bench", "research", "train.stepz=2", "--out", str(tmp_path / "r"), "--write", "none"]
    )
    assert res.exit_code == 2 and "stepz" in res.output and "Traceback" not in res.output


def test_bench_research_passes_a_runnable_command(monkeypatch, tmp_path):
    """The report's 'Regenerate' command is the shell line that reruns it (no quoted words)."""
    import sen_core.app.research

    seen = {}
    monkeypatch.setattr(sen_core.app.research, "run_research", lambda out, **kw: seen.update(kw))
    out = str(tmp_path / "r")
    res = CliRunner().invoke(cli, ["bench", "research", "train.steps=5", "--out", out, "-j", "2"])
    assert res.exit_code == 0, res.output
    assert seen["command"] == f"sen bench research train.steps=5 --out {out} -j 2"
