"""`sen train` / `sen eval` on a tiny real network (random timm ViT, sen/shapes@1): runs and user errors."""

import json

import pytest
from click.testing import CliRunner

from sen_core.cli import cli


def sen(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.curves
def test_train_then_eval(tiny, tmp_path):
    """train writes the run; eval of the same split/batches reproduces the final metrics; resume is a no-op."""
    run_dir = tmp_path / "run"
    res = sen("train", tiny, "--run-dir", run_dir, "--no-progress", "--json")
    assert res.exit_code == 0, res.output
    final = json.loads(res.output)
    assert final["step"] == 3 and {"loss", "classify/top1", "classify/top5"} <= set(final)
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "checkpoints",
        "config.yaml",
        "curves.png",
        "final.json",
        "metrics.jsonl",
        "run.json",
    ]
    res = sen(
        "eval", run_dir, "--split", "val", "--batches", "2", "--json", "-o", tmp_path / "eval.json"
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert (got["checkpoint"], got["split"]) == ("step_000003", "val")
    assert got["metrics"] == pytest.approx(
        {k: v for k, v in final.items() if k not in ("step", "run_dir")}, abs=1e-5
    )
    assert json.loads((tmp_path / "eval.json").read_text()) == got
    res = sen("eval", run_dir)  # the table
    assert res.exit_code == 0 and "classify/top1" in res.output and "on split 'test'" in res.output
    again = sen("train", tiny, "--run-dir", run_dir, "--no-progress")
    assert again.exit_code == 2
    assert again.output.strip().splitlines() == [
        f"error: run directory {run_dir} already holds a run (checkpoint step_000003); "
        "pass --resume to continue it, or choose another --run-dir"
    ]
    resumed = sen("train", tiny, "--run-dir", run_dir, "--no-progress", "--resume", "--json")
    assert resumed.exit_code == 0 and json.loads(resumed.output)["step"] == 3


@pytest.mark.parametrize(
    "args, expected",
    [
        (["eval", "{tmp}/nope"], "error: run directory {tmp}/nope does not exist"),
        (
            ["eval", "{tmp}"],
            "error: run directory {tmp} has no checkpoint yet (nothing under {tmp}/checkpoints)",
        ),
        (
            ["train", "{tiny}", "steps"],
            "error: override 'steps' must be key=value, e.g. train.steps=50",
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(tiny, tmp_path, args, expected):
    """Missing run dir, a run dir without checkpoint, a malformed override: exit 2, one line."""
    res = sen(*[a.format(tmp=tmp_path, tiny=tiny) for a in args])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [expected.format(tmp=tmp_path)]


def test_unknown_override_key_exits_2(tiny):
    """An override naming no config key is a ConfigError from the config loader (exit 2)."""
    res = sen("train", tiny, "train.stepz=3", "--no-progress")
    assert res.exit_code == 2
    assert res.output.startswith("error: invalid config") and "train.stepz" in res.output


def test_train_with_feature_cache_matches_and_fills_it(tiny, tmp_path):
    """--feature-cache DIR reuses step-0 features: same final metrics as without, and the cache holds entries."""
    plain = sen("train", tiny, "--run-dir", tmp_path / "a", "--no-progress", "--json")
    cached = sen(
        "train",
        tiny,
        "--run-dir",
        tmp_path / "b",
        "--no-progress",
        "--json",
        "--feature-cache",
        tmp_path / "cache",
    )
    assert plain.exit_code == 0 and cached.exit_code == 0, cached.output
    strip = lambda out: {k: v for k, v in json.loads(out).items() if k != "run_dir"}  # noqa: E731
    assert strip(cached.output) == pytest.approx(strip(plain.output), abs=1e-5)
    assert any((tmp_path / "cache").rglob("*.safetensors"))
