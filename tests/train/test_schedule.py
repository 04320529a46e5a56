"""The learning-rate schedule: linear warm-up then cosine decay, as a pure function and as LambdaLR."""

import json
import math

import pytest
import torch

from sen_core.train.schedule import lr_factor, make_scheduler


def test_warmup_then_cosine_values():
    """Warm-up ramps (step+1)/W, then a half cosine reaches 0 at the last step."""
    got = [lr_factor(s, warmup_steps=2, total_steps=6) for s in range(7)]
    want = [
        0.5,
        1.0,
        1.0,
        0.5 * (1 + math.cos(math.pi / 4)),
        0.5,
        0.5 * (1 + math.cos(3 * math.pi / 4)),
        0.0,
    ]
    assert got == pytest.approx(want, abs=1e-12)


def test_no_warmup_and_past_the_end():
    """Without warm-up the first factor is 1; steps past the end stay at 0."""
    assert lr_factor(0, warmup_steps=0, total_steps=4) == 1.0
    assert lr_factor(2, warmup_steps=0, total_steps=4) == pytest.approx(0.5)
    assert lr_factor(9, warmup_steps=0, total_steps=4) == 0.0


def test_warmup_longer_than_run_stays_flat_after_warmup():
    """warmup_steps >= steps: the ramp, then a constant factor of 1 (no decay window)."""
    assert [lr_factor(s, warmup_steps=4, total_steps=3) for s in range(5)] == [
        0.25,
        0.5,
        0.75,
        1.0,
        1.0,
    ]


def test_negative_step_rejected():
    """A negative step is a programming error."""
    with pytest.raises(ValueError, match="step must be >= 0, got -1"):
        lr_factor(-1, warmup_steps=1, total_steps=2)


def test_scheduler_follows_lr_factor_and_state_is_json():
    """LambdaLR gives base_lr * lr_factor(step) at each optimizer step; its state dumps to JSON."""
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.AdamW([p], lr=0.1)
    sched = make_scheduler(opt, warmup_steps=2, total_steps=6)
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones(2)
        opt.step()
        sched.step()
    assert seen == pytest.approx(
        [0.1 * lr_factor(s, warmup_steps=2, total_steps=6) for s in range(6)]
    )
    assert json.loads(json.dumps(sched.state_dict()))["last_epoch"] == 6
