"""Fixtures of the training tests: a fake network factory, fake datasets, and a tiny train()."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _train_fakes as fakes


@pytest.fixture
def fk():
    """The fakes module (FakeNet, FakeDataset, make_config, make_datasets, trainable)."""
    return fakes


@pytest.fixture
def run_train(tmp_path, monkeypatch):
    """train() on the fakes: run_train(name, net=None, resume=False, **train_overrides) -> (result, net, dir).

    curves.png is skipped (drawing costs about a second on these machines) unless plot=True.
    """
    from sen_core.train import engine, train
    from sen_core.train.logging import plot_curves as real_plot

    def _run(name="run", net=None, resume=False, datasets=None, plot=False, **overrides):
        monkeypatch.setattr(engine, "plot_curves", real_plot if plot else (lambda *a, **k: None))
        net = net if net is not None else fakes.FakeNet()
        config = fakes.make_config(**overrides)
        run_dir = tmp_path / name
        result = train(
            config,
            run_dir,
            resume=resume,
            progress=False,
            model=net,
            datasets=datasets or fakes.make_datasets(),
        )
        return result, net, run_dir

    return _run
