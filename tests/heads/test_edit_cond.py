"""Edit-conditioning head with a tiny random diffusers UNet: one denoising training step."""

from __future__ import annotations

import sys

import pytest
import torch
from _heads_fixtures import CA, B, T, build_head
from _shared import TINY_UNET

from sen_core.errors import ConfigError, SenError


def test_one_training_step(out, batch):
    """(B*T, M, cross_dim) tokens; the MSE backpropagates into the conditioner and the network output;
    the frozen UNet gets no gradient; one optimiser step changes the conditioner."""
    pytest.importorskip("diffusers")
    head = build_head("sen/edit-cond@1", unet_config=TINY_UNET, tokens_per_frame=3, anchor_width=CA)
    preds = head(out, batch)
    assert preds["cond"].shape == (B * T, 3, 24)
    loss = head.loss(preds, batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    before = head.conditioner.out[1].weight.detach().clone()
    opt = torch.optim.SGD([p for p in head.parameters() if p.requires_grad], lr=0.1)
    loss.backward()
    assert out.state.grad.abs().sum() > 0 and out.features["anchor"].x.grad.abs().sum() > 0
    assert head.conditioner.out[1].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in head.unet.parameters())
    opt.step()
    assert not torch.equal(before, head.conditioner.out[1].weight)


def test_latent_diffusion_with_a_vae(out, batch):
    """With a VAE the UNet denoises latents; the frame size follows from the VAE's downsampling."""
    pytest.importorskip("diffusers")
    vae = {
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"] * 2,
        "up_block_types": ["UpDecoderBlock2D"] * 2,
        "block_out_channels": [8, 16],
        "latent_channels": 4,
        "norm_num_groups": 8,
        "sample_size": 16,
    }
    head = build_head(
        "sen/edit-cond@1",
        unet_config={**TINY_UNET, "in_channels": 4, "out_channels": 4, "sample_size": 8},
        vae_config=vae,
        tokens_per_frame=2,
    )
    assert head.image_size == 16
    assert head.targets(batch, torch.device("cpu")).shape == (B * T, 4, 8, 8)
    head.loss(head(out, batch), batch).backward()
    assert out.state.grad.abs().sum() > 0


def test_channel_mismatch_is_a_config_error():
    """A UNet that does not take RGB frames (and no VAE) is refused when the head is built."""
    pytest.importorskip("diffusers")
    with pytest.raises(ConfigError, match="takes 4 input channels but RGB frames have 3"):
        build_head("sen/edit-cond@1", unet_config={**TINY_UNET, "in_channels": 4})


def test_missing_diffusers_names_the_extra(monkeypatch):
    """Without diffusers the factory says which extra to install."""
    monkeypatch.setitem(sys.modules, "diffusers", None)
    with pytest.raises(
        SenError, match=r"needs diffusers, which is not installed: pip install sen\[edit\]"
    ):
        build_head("sen/edit-cond@1", unet_config=TINY_UNET)
