"""Resuming: a run interrupted after a checkpoint and resumed ends with the same weights."""

import pytest
import torch

from sen_core.errors import ConfigError, SenError
from sen_core.train.logging import read_metrics


def _assert_same(a, b, fk):
    ta, tb = fk.trainable(a), fk.trainable(b)
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k


@pytest.mark.parametrize("accumulate", [1, 2])
def test_resume_equals_uninterrupted(run_train, fk, accumulate):
    """Crash after the step-3 checkpoint (mid-epoch), resume: weights, buffers and logs equal the straight run."""
    # 32 train samples / batch 4 = 8 batches per epoch: 10 steps x accumulate cross epoch boundaries
    opts = {"steps": 10, "checkpoint_every": 3, "accumulate": accumulate, "eval_every": 4}
    _, straight, dir_a = run_train("straight", **opts)
    crash_call = 5 * accumulate  # inside step 5, after checkpoint step_000003
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_train("resumed", net=fk.FakeNet(crash_at=crash_call), **opts)
    result, resumed, dir_b = run_train("resumed", net=fk.FakeNet(), resume=True, **opts)
    _assert_same(straight, resumed, fk)
    assert result["step"] == 10
    strip = lambda recs: [{k: v for k, v in r.items() if k != "time_s"} for r in recs]  # noqa: E731
    assert strip(read_metrics(dir_a / "metrics.jsonl")) == strip(
        read_metrics(dir_b / "metrics.jsonl")
    )


def test_existing_run_needs_resume(run_train):
    """Training into a directory that already holds checkpoints without resume is refused."""
    _, _, _run_dir = run_train("r", steps=2)
    with pytest.raises(
        SenError, match=r"already holds a run \(checkpoint step_000002\); pass --resume"
    ):
        run_train("r", steps=2)


def test_resume_with_other_config_is_refused(run_train):
    """Resuming with a config whose hash differs names both hashes."""
    _, _, _run_dir = run_train("r", steps=2)
    with pytest.raises(
        ConfigError,
        match=r"cannot resume .*: it was trained with config hash [0-9a-f]{16}, this config hashes to",
    ):
        run_train("r", steps=3, resume=True)


def test_resume_without_checkpoint_starts_fresh(run_train, fk):
    """resume=True on an empty directory trains from step 0 (same weights as a fresh run)."""
    _, fresh, _ = run_train("fresh", steps=3)
    result, resumed, _ = run_train("new", steps=3, resume=True)
    assert result["step"] == 3
    _assert_same(fresh, resumed, fk)


def test_resume_finished_run_is_a_no_op(run_train, fk):
    """Resuming a finished run loads the last checkpoint and trains no further."""
    _, first, _ = run_train("r", steps=3)
    net = fk.FakeNet(init_seed=7)
    result, again, run_dir = run_train("r", net=net, steps=3, resume=True)
    assert result["step"] == 3 and net.calls == 0
    _assert_same(first, again, fk)
    recs = read_metrics(run_dir / "metrics.jsonl")
    assert [(r["kind"], r["step"]) for r in recs] == [
        ("train", 2),
        ("train", 3),
        ("eval", 3),
    ]  # nothing added
