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
    assert "| ra-k1 | +0.200 [-0.048, +0.448] (Holm p=" in text
    assert "| +0.167 [-0.550, +0.884] (Holm p=" in text
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


def test_holm_adjusts_step_down_and_stays_monotone():
    """p 0.01, 0.04, 0.03, 0.5 over 4 tests: 4 x 0.01, max(3 x 0.03, .), max(2 x 0.04, .), 0.5."""
    from sen_core.app.research import holm

    adj = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5, "e": math.nan})
    assert [round(adj[k], 12) for k in "abcd"] == [0.04, 0.09, 0.09, 0.5]
    assert math.isnan(adj["e"]) and holm({"x": 0.9, "y": 0.8})["x"] == 1.0


def test_paired_p_is_the_paired_t_test_and_the_report_corrects_it(tmp_path):
    """ra-k1 - ra-k0 = 0.1, 0.2, 0.3: t = 2 sqrt(3), 2 df; the page shows the Holm p over
    2 networks x 2 metrics and says how many comparisons survive."""
    from scipy.stats import ttest_1samp

    from sen_core.app.research import paired_p

    assert math.isclose(paired_p([0.1, 0.2, 0.3]), ttest_1samp([0.1, 0.2, 0.3], 0).pvalue)
    assert paired_p([0.0, 0.0]) == 1.0 and math.isnan(paired_p([0.3]))
    path = write_report(_sweep(tmp_path), tmp_path / "r.md", command="sen bench research")
    text = path.read_text()
    # 4 p-values (late-fusion differs by exactly 0: p = 1); ra-k1's top-1 is the smallest: x 4
    p = 4 * ttest_1samp([0.1, 0.2, 0.3], 0).pvalue
    assert f"+0.200 [-0.048, +0.448] (Holm p={p:.3f})" in text
    assert "Holm-Bonferroni over all 4 comparisons" in text
    assert "none remains significant at 0.05" in text


def test_kubric_sweep_seeds_change_init_and_data():
    """sen/sweep-research-kubric@1: 9 networks x 5 seeds, each seed written to train.seed and
    data.params.seed; tracking on EfficientNet's 7x7 grid (224 px); 512 scored clips; K=3 with
    grad_steps 1; one K=3 row per other block family."""
    from sen_core.sweep import load_sweep
    from sen_core.sweep.spec import plan_trials

    trials = plan_trials(load_sweep("sen/sweep-research-kubric@1"))
    assert len(trials) == 45
    for t in trials:
        cfg = t.config
        assert cfg["train"]["seed"] == cfg["data"]["params"]["seed"] == t.axes["seed"]
        assert cfg["train"]["eval_batches"] * cfg["train"]["batch_size"] >= 512
        frames = cfg["model"]["neurons"][0]["params"]
        assert frames["image_size"] == 224 and frames["tokens_per_frame"] == "all"
    nets = {t.axes["network"]: t.config["model"] for t in trials if t.axes["seed"] == 0}
    families = ["gated", "memory", "reaction-diffusion", "dynamic-focus"]
    assert list(nets) == [
        "single-frames",
        "late-fusion",
        "ra-k0",
        "ra-k1",
        "ra-k3",
        *(f"ra-{f}-k3" for f in families),
    ]
    for key in ["ra-k3", *(f"ra-{f}-k3" for f in families)]:
        assert (nets[key]["depth"], nets[key]["grad_steps"]) == (3, 1)
    assert [nets[f"ra-{f}-k3"]["block"] for f in families] == [f"sen/ra-{f}@1" for f in families]
    assert [n["key"] for n in nets["single-frames"]["neurons"]] == ["frames", "caption"]


def test_small_differences_keep_their_sign_and_size():
    """A difference below 0.01 in size is printed with 4 decimals, not as -0.000."""
    from sen_core.app.research import _fmt_diff

    assert _fmt_diff((-0.0004, -0.0007, -0.0001, 5)) == "-0.0004 [-0.0007, -0.0001] *"
    assert _fmt_diff((0.2, -0.048, 0.448, 3)) == "+0.200 [-0.048, +0.448]"
