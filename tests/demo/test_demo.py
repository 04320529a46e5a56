"""`sen demo` end to end at a tiny budget: five networks x two seeds trained on kubric-lite,
table/chart/report written with mean ± std and the paired differences, the track pictures drawn,
real clips ranked against the queries."""

from __future__ import annotations

import csv
import math

import pytest
from click.testing import CliRunner

from sen_core.app import demo as demo_module
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
    "data.params.image_size=32",
    "data.params.num_points=8",
    "model.neurons.0.params.image_size=64",  # a 2x2 grid: enough to exercise the tracking head
]
KEYS = ["single-frames", "late-fusion", "ra-k0", "ra-k1", "ra-k3"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        # each run's curves.png (tests/train covers it) is half this test's time: 10 x 1.6 s (a
        # module fixture: the suite's autouse switch in tests/conftest.py is function-scoped)
        mp.setattr("sen_core.train.engine.plot_curves", lambda *a, **k: None)
        # one torch thread, as the rest of the suite (tests/conftest.py): the demo's fixed 2 would
        # fight the other pytest-xdist worker for the 2 cores, and outlive the demo in this worker
        real_fix_threads = demo_module.fix_threads
        mp.setattr(demo_module, "fix_threads", lambda *a, **k: real_fix_threads(1))
        res = CliRunner().invoke(
            cli,
            ["demo", *TINY, "--out", str(out), "--seeds", "0,1", "--no-progress"],
            catch_exceptions=False,
        )
    assert res.exit_code == 0, res.output
    return out, res.output


def test_demo_trains_every_network_on_every_seed(demo_dir):
    """results.csv has one row per network and seed, the three held-out metrics in [0, 1]."""
    out, _ = demo_dir
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["key"], r["seed"]) for r in rows] == [(k, s) for k in KEYS for s in ("0", "1")]
    assert [int(r["depth"]) for r in rows[::2]] == [0, 0, 0, 1, 3]
    for r in rows:
        for metric in ("classify/top1", "retrieval/R@1", "tracking/AJ"):
            assert 0.0 <= float(r[metric]) <= 1.0, metric
        assert int(r["trainable_params"]) > 0 and int(r["frozen_params"]) > 20_000_000
    assert (out / "ra-k3" / "seed-1" / "metrics.jsonl").is_file()


def test_demo_report_has_spread_and_paired_differences(demo_dir):
    """The table shows mean ± std; the pairs table every network against K=0 and the deeper ones
    against the single neuron, with 95% intervals and a plain verdict; the PNG is a real image."""
    out, output = demo_dir
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| network | depth | recognition top-1 (mean ± std) |" in report
    assert "tracking AJ (mean ± std)" in report and "![results](results.png)" in report
    k1 = next(line for line in report.splitlines() if line.startswith("| RA: sen/ra-cross@1, K=1"))
    assert " ± " in k1
    pairs = [line.split(" | ")[:2] for line in report.splitlines() if line.startswith("| ra-k")]
    assert ["| ra-k1", "ra-k0"] in pairs and ["| ra-k3", "single-frames"] in pairs
    k3 = next(line for line in report.splitlines() if line.startswith("| ra-k3 | ra-k0 |"))
    assert k3.count("[") == 3  # top-1, R@1 and AJ each with a 95% interval
    assert "paired 95% intervals" in report  # the verdict: which exclude 0, or that none does
    assert "- Tracking baseline: every point left at its query position" in report
    assert "held-out results" in output and "seeds [0, 1]" in output


def test_demo_draws_predicted_and_true_tracks(demo_dir):
    """tracks.png (rows: clip x network) and tracks.gif (frames x clips) are written and linked."""
    from PIL import Image

    out, _ = demo_dir
    report = (out / "report.md").read_text()
    assert "![predicted and true tracks](tracks.png)" in report and "(tracks.gif)" in report
    png = Image.open(out / "tracks.png")
    # 2 clips x 2 networks rows of 4 frames drawn at 2x 32 px, each row under a title band
    assert png.size == (4 * 64 + 3 * 4, 4 * (22 + 64 + 6))
    gif = Image.open(out / "tracks.gif")
    assert getattr(gif, "n_frames", 1) == 2 * 4 and gif.size == (2 * 64 + 4, 64 + 22)


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
    """A misspelt override is a one-line error with exit code 2, before anything trains or is
    written, and before the demo sets the process's torch threads."""
    import torch

    threads = torch.get_num_threads()
    res = CliRunner().invoke(cli, ["demo", "train.stepz=2", "--out", str(tmp_path / "d")])
    assert (
        res.exit_code == 2
        and "train.stepz: unknown key 'stepz'; did you mean 'steps'?" in res.output
    )
    assert not (tmp_path / "d").exists()
    assert torch.get_num_threads() == threads


def test_demo_bad_seeds_exit_2(tmp_path):
    """--seeds must be integers: exit 2 with a one-line message."""
    res = CliRunner().invoke(cli, ["demo", "--seeds", "0,x", "--out", str(tmp_path / "d")])
    assert res.exit_code == 2 and "--seeds: expected comma-separated integers" in res.output
