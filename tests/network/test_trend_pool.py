"""``pool: trend``: the pooled state keeps the direction of a change that a mean discards."""

from __future__ import annotations

import pytest
import torch
from _network_helpers import make_batch, make_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from sen_core.errors import InputError
from sen_core.network import build_network
from sen_core.network.readout import TrendReadout, temporal_slope


def test_slope_of_a_linear_sequence_is_its_rate():
    """m_t = a + b * tau_t with tau in [-1, 1] gives back b exactly; one frame gives zero."""
    a, b = torch.randn(2, 1, 5), torch.randn(2, 1, 5)
    tau = torch.linspace(-1, 1, 4)[None, :, None]
    torch.testing.assert_close(temporal_slope(a + b * tau), b[:, 0])
    assert torch.equal(temporal_slope(torch.randn(3, 1, 5)), torch.zeros(3, 5))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    frames=st.integers(1, 9),
    seed=st.integers(0, 2**16),
    offset=st.floats(-5, 5, allow_nan=False),
)
def test_slope_properties(frames, seed, offset):
    """Reversing time negates the slope; a constant added to every frame leaves it unchanged."""
    x = torch.randn(
        2, frames, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    s = temporal_slope(x)
    torch.testing.assert_close(temporal_slope(x.flip(1)), -s)
    torch.testing.assert_close(temporal_slope(x + offset), s)


def test_reversal_flips_the_trend_and_keeps_the_mean():
    """With W = I: pooled(x) = mean + s and pooled(reversed x) = mean - s."""
    torch.manual_seed(0)
    readout = TrendReadout(6)
    with torch.no_grad():
        readout.trend.weight.copy_(torch.eye(6))
    state = torch.randn(2, 4 * 3, 6)  # 4 frames x 3 tokens, frame-major
    rev = state.reshape(2, 4, 3, 6).flip(1).reshape(2, 12, 6)
    mean = state.mean(1)
    fwd, back = readout(state, 4, 3), readout(rev, 4, 3)
    torch.testing.assert_close(fwd + back, 2 * mean)
    assert (fwd - back).abs().max() > 1e-2


def test_trend_starts_as_the_mean_and_learns(catalogue):
    """At init the trend map is zero (pooled is the token mean); the loss reaches it."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=("vit", "question"), pool="trend"), catalogue=catalogue)
    out = net(make_batch())
    torch.testing.assert_close(out.pooled, out.state.mean(1))
    out.pooled.square().sum().backward()
    grad = net.get_parameter("readout.trend.weight").grad
    assert grad is not None and grad.abs().sum() > 0


def test_mean_is_the_default_and_keeps_old_hashes():
    """Left out of dumps and hashes at its default, so configs saved before it keep their hash."""
    spec = make_spec()
    assert spec.pool == "mean" and "pool" not in spec.model_dump(mode="json")
    assert make_spec(pool="mean").hash() == spec.hash()
    assert make_spec(pool="trend").hash() != spec.hash()


def test_a_state_that_is_not_frames_x_tokens_is_refused():
    with pytest.raises(InputError, match=r"pool 'trend' reads the state as 4 frames x 3 tokens"):
        TrendReadout(6)(torch.randn(1, 13, 6), 4, 3)
