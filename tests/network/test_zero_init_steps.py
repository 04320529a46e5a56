"""ReZero step gates: an untrained K>0 RA network computes exactly what its K=0 network does."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network

VARIANTS = [
    "sen/ra-cross@1",
    "sen/ra-gated@1",
    "sen/ra-memory@1",
    "sen/ra-reaction-diffusion@1",
    "sen/ra-dynamic-focus@1",
]


@pytest.mark.parametrize("block", VARIANTS)
def test_untrained_recursion_equals_k0(catalogue, block):
    """K=2 with the K=0 network's weights gives the K=0 state exactly; the gates still get gradients."""
    batch = make_batch()
    torch.manual_seed(0)
    k0 = build_network(make_spec(block=block, depth=0), catalogue=catalogue).eval()
    torch.manual_seed(1)
    k2 = build_network(make_spec(block=block, depth=2), catalogue=catalogue).eval()
    missing, unexpected = k2.load_state_dict(k0.state_dict(), strict=False)
    assert not unexpected and "block.step_gates" in missing
    with torch.no_grad():
        assert torch.equal(k0(batch).state, k2(batch).state)
    if block == "sen/ra-gated@1":
        return  # its own tanh gates make every update zero at init, so a_k waits for them to move
    k2.train()
    k2(batch).state.square().sum().backward()
    ra: Any = k2.block  # a plugin block: its gates are its own attribute
    assert float(ra.step_gates.grad.abs().min()) > 0


def test_without_step_gates_recursion_changes_the_state(catalogue):
    """zero_init_steps=false restores the ungated update: K=2 then differs from K=0 at init."""
    batch = make_batch()
    torch.manual_seed(0)
    k0 = build_network(make_spec(depth=0), catalogue=catalogue).eval()
    k2 = build_network(
        make_spec(depth=2, block_params={"zero_init_steps": False}), catalogue=catalogue
    ).eval()
    k2.load_state_dict(k0.state_dict(), strict=False)
    assert k2.block.step_gates is None
    with torch.no_grad():
        assert not torch.allclose(k0(batch).state, k2(batch).state)
