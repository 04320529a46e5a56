"""Frame order reaches the state: a clip and its time reversal must be told apart (motion direction)."""

from __future__ import annotations

import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network
from sen_core.network.adapters import frame_position_embedding


def test_position_embedding_layout():
    """Frame-major rows; frame index on the first half of the channels, token index on the second."""
    pe = frame_position_embedding(3, 2, 8)
    assert pe.shape == (6, 8)
    assert torch.equal(pe[0, :4], pe[1, :4]) and not torch.equal(pe[0, :4], pe[2, :4])  # same frame
    assert torch.equal(pe[0, 4:], pe[2, 4:]) and not torch.equal(
        pe[0, 4:], pe[1, 4:]
    )  # same token slot


def test_reversed_clip_gives_a_different_state(catalogue):
    """Once the position scale is non-zero, reversing time changes the pooled state (it is not order-blind)."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=("vit", "question"), depth=1), catalogue=catalogue).eval()
    batch = make_batch()
    reversed_batch = dict(batch, video=batch["video"].flip(1))
    with torch.no_grad():
        for adapter in net.adapters.values():
            adapter.get_parameter("pos_scale").fill_(1.0)
        a, b = net(batch).pooled, net(reversed_batch).pooled
    assert (a - b).abs().max() > 1e-3


def test_position_scale_learns(catalogue, batch):
    """The position scale receives a gradient, so training can tune how much frame order counts."""
    net = build_network(make_spec(neurons=("vit", "question"), depth=1), catalogue=catalogue)
    out = net(batch)
    (
        out.state * torch.randn_like(out.state)
    ).sum().backward()  # any loss that weighs tokens unequally
    grad = net.adapters["vit"].get_parameter("pos_scale").grad
    assert grad is not None and grad.abs().sum() > 0
