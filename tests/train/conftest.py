"""Fixtures of the training tests: a fake network factory, fake datasets, and a tiny train()."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _train_fakes as fakes

# A tiny real network: a random 1-layer timm ViT on 32 px frames, a linear classifier, sen/shapes@1.
TINY = """\
name: tiny
model:
  neurons:
    - name: timm/vit_tiny_patch16_224
      key: vit
      input: frames
      params: {image_size: 32, tokens_per_frame: cls, model_kwargs: {img_size: 32, depth: 1, embed_dim: 32, num_heads: 2}}
  anchor: vit
  depth: 1
  width: 32
  attn_heads: 2
  token_budget: 8
  prompt_tokens: 2
  heads:
    - {name: sen/classify-linear@1, key: classify, params: {num_classes: 12}}
data:
  name: sen/shapes@1
  params: {num_samples: 12, frames: 2, image_size: 32}
train: {steps: 3, batch_size: 4, warmup_steps: 1, checkpoint_every: 2, log_every: 1, eval_batches: 2, device: cpu}
"""


@pytest.fixture
def tiny(tmp_path):
    """Path of a YAML run config of the tiny real network (TINY)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


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
