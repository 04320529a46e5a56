"""`sen demo` end to end at a tiny budget: four networks trained, table/chart/report written, real clip scored."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

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


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(
        cli, ["demo", *TINY, "--out", str(out), "--no-progress"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    return out, res.output


def test_demo_compares_the_four_networks(demo_dir):
    """results.csv has one row per network with both held-out metrics in [0, 1]."""
    out, _ = demo_dir
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["key"] for r in rows] == ["single-frames", "late-fusion", "ra-k1", "ra-k3"]
    assert [int(r["depth"]) for r in rows] == [0, 0, 1, 3]
    for r in rows:
        assert 0.0 <= float(r["classify/top1"]) <= 1.0 and 0.0 <= float(r["retrieval/R@1"]) <= 1.0
        assert (
            int(r["trainable_params"]) > 0 and int(r["frozen_params"]) > 20_000_000
        )  # real pretrained neurons


def test_demo_writes_chart_and_report(demo_dir):
    """The PNG is a real image; the report holds the table, the chart link and the real-clip section."""
    out, output = demo_dir
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| network | depth | recognition top-1 | retrieval R@1 |" in report
    assert "![results](results.png)" in report and "## A real clip" in report
    assert "held-out results" in output and "Real clip 'bikes'" in output


def test_demo_real_clip_windows(demo_dir):
    """The real clip is cut into 4 windows, each scored against the query, one marked best."""
    _, output = demo_dir
    windows = [
        line for line in output.splitlines() if "similarity" in line and "EfficientNet sees" in line
    ]
    assert len(windows) == 4 and sum("<- best match" in w for w in windows) == 1


def test_demo_bad_override_exits_2(tmp_path):
    """A misspelt override is a one-line error with exit code 2, before anything trains."""
    res = CliRunner().invoke(cli, ["demo", "train.stepz=2", "--out", str(tmp_path / "d")])
    assert (
        res.exit_code == 2
        and "train.stepz: unknown key 'stepz'; did you mean 'steps'?" in res.output
    )
    assert not (tmp_path / "d" / "results.csv").exists()
