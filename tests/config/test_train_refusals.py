"""Issue-11 cases of `sen train`: refused before the run directory is written, or marked failed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "fuzz"))
from _fuzz_cases import config_text

from sen_core.cli import cli


@pytest.mark.parametrize(
    "override, expected",
    [
        ("model.heads=[]", "a run needs at least one head with a loss weight > 0"),
        ("train.device=cuda:99", "train.device: 'cuda:99' is not on this machine"),
        ("model.width=1000000000", "model.width: Input should be less than or equal to 16384"),
        ("model.width=1e12", "model.width"),
        ("train.seed=-9223372036854775808", "train.seed: Input should be greater than or equal"),
        ("train.lr=.inf", "train.lr: Input should be a finite number"),
        ("train.lr=1e999", "train.lr: Input should be a finite number"),
        ("train.lr=1e30", "train.lr: Input should be less than or equal to 1000"),
        ("train.weight_decay=.inf", "train.weight_decay: Input should be a finite number"),
        ("train.warmup_steps=true", "train.warmup_steps: Input should be a valid integer"),
        ("name=../escaped", "name: String should match pattern"),
        ("model.neurons.0.params.image_size=.nan", "image_size"),
        ("model.neurons.0.params.tokens_per_frame=1e20", "tokens_per_frame"),
        ("data.params.frames=-1", "frames"),
    ],
)
def test_refused_before_the_run_dir(tmp_path, monkeypatch, override, expected):
    """Exit 2 with the key named, no traceback, and no runs/ directory at all."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text(config_text())
    res = CliRunner().invoke(cli, ["train", "run.yaml", override, "--no-progress"])
    assert res.exit_code == 2, res.output
    assert expected in res.output and "Traceback" not in res.output
    assert not (tmp_path / "runs").exists() and not (tmp_path.parent / "escaped").exists()
