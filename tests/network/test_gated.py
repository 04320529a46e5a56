"""The gated variant at initialisation equals the anchor alone."""

from __future__ import annotations

import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network


def test_gated_init_is_anchor_only(catalogue):
    """With tanh(0) gates every state equals the adapted anchor tokens; the cross variant differs."""
    torch.manual_seed(0)
    net = build_network(make_spec(block="sen/ra-gated@1", depth=3), catalogue=catalogue).eval()
    batch = make_batch()
    with torch.no_grad():
        out = net(batch)
        anchor = net.adapters["vit"](net.encode_step0("vit", batch), 2).x
        alone = net.norm(anchor)
    for s in out.states:
        assert torch.equal(s, anchor)
    assert torch.equal(out.state, alone)

    torch.manual_seed(0)
    cross = build_network(make_spec(block="sen/ra-cross@1", depth=3), catalogue=catalogue).eval()
    with torch.no_grad():
        assert not torch.allclose(
            cross(batch).states[-1], cross.adapters["vit"](cross.encode_step0("vit", batch), 2).x
        )


def test_gated_equals_anchor_only_network(catalogue):
    """Adding neurons to an untrained gated network leaves its output unchanged."""
    batch = make_batch()
    torch.manual_seed(0)
    alone = build_network(
        make_spec(neurons=("vit",), block="sen/ra-gated@1", depth=0), catalogue=catalogue
    ).eval()
    full = build_network(make_spec(block="sen/ra-gated@1", depth=2), catalogue=catalogue).eval()
    alone.adapters["vit"].load_state_dict(full.adapters["vit"].state_dict())  # the one shared piece
    with torch.no_grad():
        assert torch.equal(alone(batch).state, full(batch).state)
