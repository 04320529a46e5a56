"""Shared vs per-step block parameters: K + 1 integration steps and K distribution steps when not shared."""

from __future__ import annotations

import pytest
from _network_helpers import make_spec

from sen_core.network import build_network

_STEP_LISTS = (
    "integrators",
    "memories",
    "rd",
)  # per integration step, in whichever variants have them


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _gates(block) -> int:
    """ReZero step gates: one scalar per RA step, shared or not (``zero_init_steps``)."""
    gates = getattr(block, "step_gates", None)
    return 0 if gates is None else gates.numel()


def _block(catalogue, block, depth, share):
    return build_network(
        make_spec(block=block, depth=depth, share_weights=share), catalogue=catalogue
    ).block


@pytest.mark.parametrize(
    "block",
    [
        "sen/ra-cross@1",
        "sen/ra-gated@1",
        "sen/ra-memory@1",
        "sen/ra-reaction-diffusion@1",
        "sen/ra-dynamic-focus@1",
    ],
)
def test_shared_vs_per_step_counts(catalogue, block):
    """shared = C + G + I + P and per-step(K) = C + G + (K + 1) * I + K * P, for K = 1..3 (G: K step gates)."""
    ref = _block(catalogue, block, 1, True)
    i = sum(
        _count(getattr(ref, n)[0]) for n in _STEP_LISTS if hasattr(ref, n)
    )  # one integration step
    p = _count(ref.distributors[0])  # one distribution step
    c = _count(ref) - i - p - _gates(ref)  # step-independent parameters (memory init, frame scorer)
    assert i > 0 and p > 0
    for k in (1, 2, 3):
        shared, per_step = _block(catalogue, block, k, True), _block(catalogue, block, k, False)
        g = _gates(shared)
        assert g == _gates(per_step) == (k if g else 0)
        assert _count(shared) == c + g + i + p
        assert _count(per_step) == c + g + (k + 1) * i + k * p
        assert len(per_step.integrators) == k + 1 and len(per_step.distributors) == k


def test_exact_counts_ra_cross(catalogue):
    """The numbers for the toy network (width 32, 4 integrated and 3 prompted neurons, 2 prompt tokens, K = 3)."""
    # integrator: LN 64 + q 1056 + kv 2112 + out 1056 + 4 gates + FFN (64 + 2112 + 2080) = 8548
    # generators: vit tokens 5472 (64 queries + 64 LN + 4224 attention + 1120 out), question tokens 5208,
    # film 2704 (LN 64 + 1056 + 1584) -> 13384 per distribution step; 3 ReZero step gates
    assert _count(_block(catalogue, "sen/ra-cross@1", 3, True)) == 8548 + 13384 + 3
    assert _count(_block(catalogue, "sen/ra-cross@1", 3, False)) == 4 * 8548 + 3 * 13384 + 3
