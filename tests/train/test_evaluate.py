"""Evaluation: meters over a held-out split, from a network or from a run directory."""

import pytest
import torch

import sen_core.network
from sen_core.errors import CheckpointError
from sen_core.train import evaluate, run_eval
from sen_core.train.data import eval_loader


def test_evaluate_network_matches_hand_computation(fk):
    """evaluate(net, dataset=...) gives the mean squared error computed by hand."""
    net, data = fk.FakeNet(), fk.FakeDataset(10, seed=3)
    metrics = evaluate(net, dataset=data, batch_size=4, device="cpu")
    with torch.no_grad():
        net.eval()
        mse = float(((net.run_heads(net({"x": data.x}), {})["reg"]["y"] - data.y) ** 2).mean())
    assert metrics["reg/mse"] == pytest.approx(mse, rel=1e-6)
    assert set(metrics) == {"loss", "loss/reg", "reg/mse"}


def test_eval_leaves_rng_untouched(fk):
    """Evaluating in the middle of training does not move any random generator."""
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    run_eval(fk.FakeNet(), eval_loader(fk.FakeDataset(8), batch_size=4), device=torch.device("cpu"))
    assert torch.equal(torch.rand(3), expected)


def test_evaluate_run_dir(run_train, fk, monkeypatch):
    """evaluate(RUN_DIR) rebuilds the network, loads the newest checkpoint and scores the split."""
    _, trained, run_dir = run_train("r", steps=3)
    monkeypatch.setattr(
        sen_core.network, "build_network", lambda spec: fk.FakeNet(init_seed=99), raising=False
    )
    monkeypatch.setattr(
        "sen_core.train.evaluation.build_dataset", lambda data, split: fk.make_datasets()[split]
    )
    monkeypatch.setattr("sen_core.train.evaluation.check_split", lambda data, split: None)
    got = evaluate(run_dir, split="test", device="cpu")
    want = evaluate(trained, dataset=fk.make_datasets()["test"], batch_size=4, device="cpu")
    assert got == pytest.approx(want)


def test_evaluate_missing_run_dir(tmp_path):
    """A directory that does not exist is a CheckpointError naming it."""
    with pytest.raises(CheckpointError, match=f"run directory {tmp_path / 'nope'} does not exist"):
        evaluate(tmp_path / "nope")
