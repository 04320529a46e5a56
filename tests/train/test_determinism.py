"""Seeded determinism: the same config and seed give bit-identical weights and logs."""

import torch

from sen_core.train.logging import read_metrics


def _losses(run_dir):
    return [(r["kind"], r["step"], r.get("loss")) for r in read_metrics(run_dir / "metrics.jsonl")]


def test_same_seed_same_weights(run_train, fk):
    """Two runs with dropout, shuffling and seed 0 end with identical weights and losses."""
    _, net_a, dir_a = run_train("a")
    _, net_b, dir_b = run_train("b")
    for k, v in fk.trainable(net_a).items():
        assert torch.equal(v, fk.trainable(net_b)[k]), k
    assert _losses(dir_a) == _losses(dir_b)


def test_other_seed_other_weights(run_train, fk):
    """Changing train.seed changes the data order and dropout masks, hence the weights."""
    _, net_a, _ = run_train("a", seed=0)
    _, net_b, _ = run_train("b", seed=1)
    assert not torch.equal(net_a.proj.weight, net_b.proj.weight)


def test_workers_keep_determinism(run_train, fk):
    """With DataLoader workers the run is still reproducible (seeded generator per epoch)."""
    _, net_a, _ = run_train("a", num_workers=1, steps=3, checkpoint_every=10)
    _, net_b, _ = run_train("b", num_workers=1, steps=3, checkpoint_every=10)
    assert torch.equal(net_a.out.weight, net_b.out.weight)


def test_evaluating_does_not_change_training(run_train, fk):
    """Evaluating every step (RNG saved and restored, eval mode undone) leaves the weights unchanged."""
    _, quiet, _ = run_train("quiet", eval_every=None)
    _, chatty, _ = run_train("chatty", eval_every=1)
    for k, v in fk.trainable(quiet).items():
        assert torch.equal(v, fk.trainable(chatty)[k]), k
