"""Resume equality on the tiny real network (timm ViT neuron, RA block, linear head, sen/shapes@1)."""

import pytest
import torch
from safetensors.torch import load_file

from sen_core.config import load_run_config
from sen_core.train import engine, train


def test_real_network_resume_equals_uninterrupted(tiny, tmp_path, monkeypatch):
    """Interrupt after the step-2 checkpoint (Ctrl-C during step 3), resume: the step-4 weights are identical."""
    monkeypatch.setattr(engine, "plot_curves", lambda *a, **k: None)
    config = load_run_config(
        str(tiny), ["train.steps=4", "train.accumulate=2", "train.batch_size=2"]
    )
    train(config, tmp_path / "straight", progress=False)

    real_step = engine._Trainer._one_step

    def interrupted(self, stream):
        if self.step == 2:
            raise KeyboardInterrupt
        return real_step(self, stream)

    monkeypatch.setattr(engine._Trainer, "_one_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "resumed", progress=False)
    monkeypatch.setattr(engine._Trainer, "_one_step", real_step)
    train(config, tmp_path / "resumed", progress=False, resume=True)

    a = load_file(tmp_path / "straight" / "checkpoints" / "step_000004" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "checkpoints" / "step_000004" / "model.safetensors")
    assert a.keys() == b.keys() and len(a) > 10
    assert all(torch.equal(a[k], b[k]) for k in a)
