"""bf16 autocast on CPU: the run trains, the weights stay float32, the loss tracks float32's."""

import math

import pytest
import torch

from sen_core.train.logging import read_metrics


def test_bf16_trains_with_float32_weights(run_train, fk):
    """train.bf16=true: finite losses close to the float32 run, float32 parameters."""
    _, net16, d16 = run_train("bf16", bf16=True, steps=4, log_every=1)
    _, _net32, d32 = run_train("fp32", steps=4, log_every=1)
    l16 = [r["loss"] for r in read_metrics(d16 / "metrics.jsonl") if r["kind"] == "train"]
    l32 = [r["loss"] for r in read_metrics(d32 / "metrics.jsonl") if r["kind"] == "train"]
    assert all(math.isfinite(v) for v in l16)
    assert l16 == pytest.approx(l32, rel=0.05)
    assert all(p.dtype == torch.float32 for p in net16.parameters())
    assert not torch.equal(net16.proj.weight, fk.FakeNet().proj.weight)
