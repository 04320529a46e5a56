"""How the final state becomes ``NetworkOutput.pooled`` (B, D): ``NetworkSpec.pool``.

'mean' averages the state's tokens, which discards their order: a shape moving left and the same
shape moving right give the same mean wherever the order lives only in nonlinear features.
'trend' adds a learned linear map (zero at init, so it starts as 'mean') of the least-squares
slope of the per-frame mean state over time normalised to [-1, 1]: for per-frame means m_t and
times tau_t, slope = sum_t tau_t m_t / sum_t tau_t^2 -- a close relative of approximate rank
pooling (Bilen et al., "Dynamic Image Networks", CVPR 2016, whose per-frame weights are nearly a
linear ramp), which puts the direction of a change on a linear path to every head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sen_core.errors import InputError

__all__ = ["TrendReadout", "temporal_slope"]


def temporal_slope(per_frame: Tensor) -> Tensor:
    """(B, T, D) per-frame features -> (B, D) least-squares slope over time in [-1, 1] (zero for
    one frame)."""
    t = per_frame.shape[1]
    if t < 2:
        return per_frame.new_zeros(per_frame.shape[0], per_frame.shape[2])
    tau = torch.linspace(-1.0, 1.0, t, device=per_frame.device, dtype=per_frame.dtype)
    return torch.einsum("t,btd->bd", tau, per_frame) / tau.square().sum()


class TrendReadout(nn.Module):
    """pooled = mean(state) + W slope(per-frame means of state); W (D x D) starts at zero."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.trend = nn.Linear(width, width, bias=False)
        nn.init.zeros_(self.trend.weight)

    def forward(self, state: Tensor, frames: int, tokens_per_frame: int) -> Tensor:
        """state (B, L, D) frame-major with L = frames * tokens_per_frame -> (B, D)."""
        b, n, d = state.shape
        if n != frames * tokens_per_frame:
            raise InputError(
                f"pool 'trend' reads the state as {frames} frames x {tokens_per_frame} tokens, "
                f"but the block returned {n} tokens; use pool: mean with this block"
            )
        per_frame = state.reshape(b, frames, tokens_per_frame, d).mean(2)  # (B, T, D)
        out: Tensor = state.mean(1) + self.trend(temporal_slope(per_frame))
        return out
