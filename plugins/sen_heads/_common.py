"""Helpers shared by the task heads: parameter checking, reading inputs, frame features.

Sits between ``NetworkOutput`` and every head: heads read the state, the anchor's per-frame or
spatial tokens and the projected text features through these functions, so that a missing input
always raises the same kind of clear error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.errors import InputError
from sen_core.network import NetworkOutput
from sen_core.params import check_params
from sen_core.specs import HeadSpec


# ---- parameters ------------------------------------------------------------------------------
def head_params(
    spec: HeadSpec, params: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge ``params`` over ``defaults`` after the one param check (``sen_core.params``).

    Raises:
        ConfigError: a param the spec does not declare (with did-you-mean) or of the wrong type.
    """
    check_params(spec, params)
    return {**defaults, **params}


def attn_heads(width: int, wanted: int = 4) -> int:
    """The largest head count <= ``wanted`` that divides ``width``."""
    for h in range(min(wanted, width), 0, -1):
        if width % h == 0:
            return h
    return 1


# ---- inputs ----------------------------------------------------------------------------------
def need_text(out: NetworkOutput, key: str, head: str) -> Tensor:
    """``out.text[key]`` or an InputError saying which text neuron the head needs."""
    t = out.text.get(key)
    if t is None:
        have = ", ".join(sorted(out.text)) or "none"
        raise InputError(
            f"head '{head}' needs text features out.text['{key}'] (a text neuron reading input "
            f"'{key}'); the network provides: {have}"
        )
    return t


def need_batch(batch: Mapping[str, Any], key: str, head: str) -> Any:
    """``batch[key]`` or an InputError naming the missing field."""
    if key not in batch or batch[key] is None:
        raise InputError(f"head '{head}' needs batch['{key}'] (see docs/tasks.md, Dataset schema)")
    return batch[key]


def anchor_frames(out: NetworkOutput, head: str) -> Tensor:
    """The anchor's tokens per frame: (B, T, P, C) at the anchor's native width C."""
    if out.anchor not in out.features:
        raise InputError(
            f"head '{head}' reads the anchor's tokens, but out.features has no '{out.anchor}'"
        )
    tok = out.features[out.anchor]
    if tok.layout.kind == "sequence":
        raise InputError(
            f"head '{head}' needs a visual anchor with frames; '{out.anchor}' is a sequence"
        )
    return tok.per_frame()


def anchor_spatial(out: NetworkOutput, head: str) -> Tensor:
    """The anchor's patch grid per frame: (B, T, h, w, C)."""
    tok = out.features.get(out.anchor)
    if tok is None:
        raise InputError(
            f"head '{head}' reads the anchor's tokens, but out.features has no '{out.anchor}'"
        )
    if tok.layout.grid is None:
        raise InputError(
            f"head '{head}' needs the anchor's spatial grid, but '{out.anchor}' kept none; "
            "set the anchor neuron's tokens_per_frame to 'all' or a square number"
        )
    return tok.spatial()


def as_tensor(x: Any, device: torch.device, dtype: torch.dtype | None = None) -> Tensor:
    return torch.as_tensor(x, device=device, dtype=dtype)


# ---- modules ---------------------------------------------------------------------------------
class AnchorProjection(nn.Module):
    """Anchor tokens at native width C -> the head width D.

    With ``anchor_width`` known (the network passes it) this is a ``Linear(C, D)``. Without it
    the channels are first resampled to D by adaptive average pooling (parameter-free, works for
    any C) and a ``Linear(D, D)`` follows, so the head never holds uninitialised parameters.
    """

    def __init__(self, anchor_width: int | None, width: int) -> None:
        super().__init__()
        self.anchor_width = anchor_width
        self.width = width
        self.norm = nn.LayerNorm(anchor_width or width)
        self.proj = nn.Linear(anchor_width or width, width)

    def forward(self, x: Tensor) -> Tensor:  # (..., C) -> (..., D)
        c = x.shape[-1]
        if self.anchor_width is not None:
            if c != self.anchor_width:
                raise InputError(
                    f"anchor tokens have width {c}, but the head was built with "
                    f"anchor_width={self.anchor_width}"
                )
        elif c != self.width:
            lead = x.shape[:-1]
            x = F.adaptive_avg_pool1d(x.reshape(-1, 1, c), self.width).reshape(*lead, self.width)
        return self.proj(self.norm(x))


def time_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of positions ``t`` in [0, 1] (any shape) -> (..., dim)."""
    half = dim // 2
    freqs = torch.exp(
        torch.arange(half, device=t.device, dtype=torch.float32)
        * (-math.log(1000.0) / max(half - 1, 1))
    )
    ang = t.float().unsqueeze(-1) * 1000.0 * freqs  # positions in [0, 1] scaled like frame indices
    emb = torch.cat([ang.sin(), ang.cos()], dim=-1)
    return F.pad(emb, (0, dim - 2 * half))


class FrameFeatures(nn.Module):
    """Per-frame features (B, T, D): the anchor's frame tokens, projected, plus a time embedding,
    then one cross-attention into the video state so that what the RA steps fused reaches each frame.
    """

    def __init__(self, width: int, *, anchor_width: int | None, dropout: float = 0.0) -> None:
        super().__init__()
        self.proj = AnchorProjection(anchor_width, width)
        self.norm_q = nn.LayerNorm(width)
        self.norm_kv = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(
            width, attn_heads(width), dropout=dropout, batch_first=True
        )
        self.norm_out = nn.LayerNorm(width)

    def forward(self, out: NetworkOutput, head: str) -> Tensor:
        frames = anchor_frames(out, head)  # (B, T, P, C)
        _b, t = frames.shape[:2]
        f = self.proj(frames.mean(2))  # (B, T, D)
        pos = (torch.arange(t, device=f.device) + 0.5) / t
        f = f + time_embedding(pos, f.shape[-1]).to(f.dtype)
        kv = self.norm_kv(out.state)
        ctx, _ = self.attn(self.norm_q(f), kv, kv, need_weights=False)
        return self.norm_out(f + ctx)


def resample_time(x: Tensor, length: int) -> Tensor:
    """(B, T) -> (B, length): area averaging when shrinking (tubelets), nearest when growing."""
    if x.shape[-1] == length:
        return x
    mode = "area" if x.shape[-1] > length else "nearest"
    return F.interpolate(x.float().unsqueeze(1), size=length, mode=mode).squeeze(1)


def clip_logit_scale(p: Tensor) -> Tensor:
    """CLIP's learnable temperature: exp(p) capped at 100."""
    return p.clamp(max=math.log(100.0)).exp()
