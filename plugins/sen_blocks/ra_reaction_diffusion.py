"""``sen/ra-reaction-diffusion@1``: RA whose state update runs Gray-Scott reaction-diffusion over time.

Source: "Reaction-Diffusion Multimodal Fusion" (arXiv 2606.01615) and the Gray-Scott model
(Pearson 1993, "Complex patterns in a simple system"). The state is the activator v (a sigmoid
read-out of z, frame-structured (B, T, P, D)); a substrate u is carried across steps; the neurons'
gated messages set the feed rate per token (relevant evidence feeds the reaction). Explicit Euler:

    u += dt * (Du * lap_t(u) - u v^2 + F r (1 - u))
    v += dt * (Dv * lap_t(v) + u v^2 - (F r + k) v)

with lap_t the 1-D Laplacian over frames (unit spacing, replicated ends). Explicit Euler on the
diffusion term is stable only for dt * D <= 0.5: checked when the network is built.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sen_core.errors import ConfigError
from sen_core.network import StepContext
from sen_core.neuron import Tokens

from .ra_cross import CrossRA

__all__ = ["STABILITY_BOUND", "ReactionDiffusionRA"]

STABILITY_BOUND = 0.5


def _lap_t(x: Tensor) -> Tensor:
    """Discrete Laplacian over the frame axis of (B, T, P, D), Neumann (replicated) boundaries."""
    padded = torch.cat([x[:, :1], x, x[:, -1:]], dim=1)
    return padded[:, 2:] - 2 * x + padded[:, :-2]


class _GrayScott(nn.Module):
    """One integration step's reaction-diffusion update of the state."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.act_in = nn.Linear(width, width)
        self.relevance = nn.Linear(width, 1)
        self.act_out = nn.Linear(width, width)
        nn.init.zeros_(self.act_out.weight)  # start as plain RA; the dynamics are learned in
        nn.init.zeros_(self.act_out.bias)

    def forward(
        self, z: Tensor, msg: Tensor, u: Tensor | None, frames: int, p: dict[str, Any]
    ) -> tuple[Tensor, Tensor]:
        b, length, d = z.shape
        shape = (b, frames, length // frames, d)
        v0 = torch.sigmoid(self.act_in(self.norm(z))).reshape(shape)  # activator in (0, 1)
        feed = p["feed"] * torch.sigmoid(self.relevance(msg)).reshape(
            b, frames, length // frames, 1
        )
        u = torch.ones_like(v0) if u is None else u
        v, dt = v0, p["dt"]
        for _ in range(p["rd_steps"]):
            uvv = u * v * v
            u = u + dt * (p["diffusion_u"] * _lap_t(u) - uvv + feed * (1 - u))
            v = v + dt * (p["diffusion_v"] * _lap_t(v) + uvv - (feed + p["kill"]) * v)
        return z + self.act_out((v - v0).reshape(b, length, d)), u


class ReactionDiffusionRA(CrossRA):
    """Integrate = gated neuron messages + a Gray-Scott update over time, then the feed-forward."""

    def __init__(
        self,
        spec,
        *,
        width: int,
        neurons,
        anchor: str,
        depth: int,
        share_weights: bool = True,
        attn_heads: int = 4,
        prompt_tokens: int = 4,
        ffn_mult: int = 2,
        zero_init_steps: bool = True,
        dt: float = 1.0,
        diffusion_u: float = 0.16,
        diffusion_v: float = 0.08,
        feed: float = 0.035,
        kill: float = 0.065,
        rd_steps: int = 4,
    ) -> None:
        self.rd_params = {
            "dt": dt,
            "diffusion_u": diffusion_u,
            "diffusion_v": diffusion_v,
            "feed": feed,
            "kill": kill,
            "rd_steps": rd_steps,
        }
        problems = self.check_params(self.rd_params | {"ffn_mult": ffn_mult}, depth=depth)
        if problems:
            raise ConfigError(
                f"invalid parameters for '{spec.name}':",
                [f"model.block_params.{m}" for m in problems],
            )
        super().__init__(
            spec,
            width=width,
            neurons=neurons,
            anchor=anchor,
            depth=depth,
            share_weights=share_weights,
            attn_heads=attn_heads,
            prompt_tokens=prompt_tokens,
            ffn_mult=ffn_mult,
            zero_init_steps=zero_init_steps,
        )
        self.rd = self.per_step(lambda: _GrayScott(width), depth + 1)

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        problems = super().check_params(params, depth=depth)
        num = {k: params.get(k) for k in ("dt", "diffusion_u", "diffusion_v", "feed", "kill")}
        bad = [k for k, v in num.items() if not isinstance(v, (int, float)) or v < 0]
        problems += [f"{k}: must be a number >= 0, got {num[k]!r}" for k in bad]
        steps = params.get("rd_steps")
        if not isinstance(steps, int) or steps < 1:
            problems.append(f"rd_steps: must be an int >= 1, got {steps!r}")
        if not bad:
            vals = {
                k: float(v) for k, v in num.items() if isinstance(v, (int, float))
            }  # all of them
            dt = vals["dt"]
            if dt <= 0:
                problems.append(f"dt: must be > 0, got {num['dt']!r}")
            d = max(vals["diffusion_u"], vals["diffusion_v"])
            if dt * d > STABILITY_BOUND:
                problems.append(
                    f"dt: dt * max(diffusion_u, diffusion_v) = {num['dt']:g} * {d:g} = {dt * d:g} exceeds "
                    f"the explicit-Euler stability bound {STABILITY_BOUND} (1-D diffusion over frames, unit "
                    "spacing); lower dt or the diffusion coefficients"
                )
        return problems

    def update(
        self, step: int, state: Tensor, feats: dict[str, Tokens], ctx: StepContext
    ) -> Tensor:
        integ = self.integrator(step)
        msg = integ.messages(state, feats)
        z, ctx.carry["substrate"] = self.at(self.rd, step)(
            state + msg, msg, ctx.carry.get("substrate"), ctx.frames, self.rd_params
        )
        return integ.feed_forward(z)
