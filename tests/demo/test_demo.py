"""`sen demo` end to end at a tiny budget: five networks x two seeds trained, table/chart/report
written with mean ± std and the paired K=0 column, real clips ranked against the queries."""

from __future__ import annotations

import csv
import math

import pytest
from click.testing import CliRunner

from sen_core.app.research import paired_interval, t975
from sen_core.cli import cli

TINY = [
    "train.steps=2",
    "train.batch_size=4",
    "train.eval_batches=1",
    "train.eval_every=2",
    "train.checkpoint_every=2",
    "data.params.num_samples=8",
    "data.params.frames=4",
]
KEYS = ["single-frames", "late-fusion", "ra-k0", "ra-k1", "ra-k3"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(
        cli,
        ["demo", *TINY, "--out", str(out), "--seeds", "0,1", "--no-progress"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return out, res.output


def test_demo_trains_every_network_on_every_seed(demo_dir):
    """results.csv has one row per network and seed, both held-out metrics in [0, 1]."""
    out, _ = demo_dir
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["key"], r["seed"]) for r in rows] == [(k, s) for k in KEYS for s in ("0", "1")]
    assert [int(r["depth"]) for r in rows[::2]] == [0, 0, 0, 1, 3]
    for r in rows:
        assert 0.0 <= float(r["classify/top1"]) <= 1.0 and 0.0 <= float(r["retrieval/R@1"]) <= 1.0
        assert int(r["trainable_params"]) > 0 and int(r["frozen_params"]) > 20_000_000
    assert (out / "ra-k3" / "seed-1" / "metrics.jsonl").is_file()


def test_demo_report_has_spread_and_k0_control(demo_dir):
    """The table shows mean ± std, the K=0 control and paired intervals; the PNG is a real image."""
    out, output = demo_dir
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| network | depth | recognition top-1 (mean ± std) |" in report
    assert "(control)" in report and "![results](results.png)" in report
    k1 = next(line for line in report.splitlines() if line.startswith("| RA: sen/ra-cross@1, K=1"))
    assert " ± " in k1 and "[" in k1  # mean ± std and a 95% interval against K=0
    assert "held-out results" in output and "seeds [0, 1]" in output


def test_demo_ranks_real_clips_against_queries(demo_dir):
    """Three real clips x three queries, each query with its first clip and lead; no shape head."""
    out, output = demo_dir
    report = (out / "report.md").read_text()
    assert "## Real clips" in report and "shape head" not in report
    for clip in ("bikes", "carphone", "bigbuckbunny"):
        assert f"| {clip} |" in report
    ranked = [line for line in output.splitlines() if "(first by +" in line]
    assert len(ranked) == 3
    # bicycles are what EfficientNet-Lite0 sees in `bikes`: it must rank first for that query
    assert ranked[0].lstrip().startswith('"a person riding a bicycle": bikes')


def test_paired_interval_matches_the_t_distribution():
    """Differences 1, 2, 3: mean 2, std 1, half-width t(0.975, 2) / sqrt(3) = 4.303 / 1.732."""
    m, lo, hi, n = paired_interval([1.0, 2.0, 3.0])
    assert (m, n) == (2.0, 3) and math.isclose(hi - m, 4.303 / math.sqrt(3), rel_tol=1e-12)
    assert math.isclose(lo, 2.0 - 4.303 / math.sqrt(3)) and t975(30) == 2.042 and t975(31) == 1.96
    assert math.isnan(paired_interval([0.5])[1])


def test_demo_bad_override_exits_2(tmp_path):
    """A misspelt override is a one-line error with exit code 2, before anything trains."""
    res = CliRunner().invoke(cli, ["demo", "train.stepz=2", "--out", str(tmp_path / "d")])
    assert (
        res.exit_code == 2
        and "train.stepz: unknown key 'stepz'; did you mean 'steps'?" in res.output
    )
    assert not (tmp_path / "d" / "results.csv").exists()


def test_demo_bad_seeds_exit_2(tmp_path):
    """--seeds must be integers: exit 2 with a one-line message."""
    res = CliRunner().invoke(cli, ["demo", "--seeds", "0,x", "--out", str(tmp_path / "d")])
    assert res.exit_code == 2 and "--seeds: expected comma-separated integers" in res.output
