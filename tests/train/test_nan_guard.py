"""The NaN guard: a non-finite loss stops the run, names the step, and keeps the last good checkpoint."""

import json

import pytest
import torch
from safetensors.torch import load_file

from sen_core.errors import SenError
from sen_core.train import DivergedError
from sen_core.train.checkpoint import read_trainer_state
from sen_core.train.logging import read_metrics
from sen_core.train.rundir import latest_checkpoint, list_checkpoints


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_stops_and_keeps_last_checkpoint(run_train, fk, bad):
    """Loss NaN/inf at step 5 -> DivergedError naming step 5; step_000004 is intact and equals a clean run's."""
    _, _, clean = run_train("clean", steps=6, checkpoint_every=2)
    with pytest.raises(DivergedError) as info:
        run_train("bad", net=fk.FakeNet(nan_at=5, bad_value=bad), steps=6, checkpoint_every=2)
    run_dir = clean.parent / "bad"
    ckpt = run_dir / "checkpoints" / "step_000004"
    assert str(info.value) == (
        f"training diverged at step 5: loss is {bad}; stopped without saving, the last good checkpoint "
        f"{ckpt} (step 4) is kept. Lower train.lr, set train.grad_clip, or check the data"
    )
    assert isinstance(info.value, SenError)
    assert latest_checkpoint(run_dir / "checkpoints") == ckpt
    assert [p.name for p in list_checkpoints(run_dir / "checkpoints")] == [
        "step_000002",
        "step_000004",
    ]
    assert read_trainer_state(ckpt)["step"] == 4  # checksums verified
    good = load_file(clean / "checkpoints" / "step_000004" / "model.safetensors")
    kept = load_file(ckpt / "model.safetensors")
    assert all(torch.equal(good[k], kept[k]) for k in good)
    info_json = json.loads((run_dir / "run.json").read_text())
    assert (info_json["status"], info_json["steps_done"], info_json["last_checkpoint"]) == (
        "diverged",
        4,
        "step_000004",
    )
    assert read_metrics(run_dir / "metrics.jsonl")[-1] | {"message": ""} == {
        "kind": "event",
        "event": "diverged",
        "step": 5,
        "message": "",
    }


def test_nan_before_first_checkpoint(run_train, fk):
    """Diverging before any checkpoint says so and leaves no checkpoint behind."""
    with pytest.raises(
        DivergedError,
        match="at step 1: loss is nan; stopped without saving, no checkpoint had been written yet",
    ):
        run_train("bad", net=fk.FakeNet(nan_at=1), steps=4, checkpoint_every=2)


def test_nan_in_accumulated_micro_batch(run_train, fk):
    """With accumulate=2 a NaN in the second micro-batch of step 3 is reported at step 3."""
    with pytest.raises(DivergedError, match="training diverged at step 3: loss is nan"):
        run_train("bad", net=fk.FakeNet(nan_at=6), steps=4, checkpoint_every=2, accumulate=2)
