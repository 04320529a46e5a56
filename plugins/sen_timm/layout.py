"""Token layout of a timm model's ``forward_features`` output, read from the model itself.

Special (prefix) tokens come from timm's ``num_prefix_tokens``, else from the class/distillation/
register token parameters the model holds (VOLO, PiT); the patch grid from ``patch_embed``'s grid
(for the actual input size when the model sizes dynamically), else from the last ``feature_info``
reduction (levit, xcit, coat, hiera, efficientformer, resmlp, tnt, twins, mvitv2). Multi-branch
models whose ``forward_features`` returns a list (crossvit, coat, efficientvim) give one token per
frame: their own pre-logits pooling (``forward_head(pre_logits=True)``).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn

__all__ = ["pooled_branches", "prefix_tokens", "sequence_layout"]

# parameters holding tokens prepended to the patch tokens, as (1, n, D) or (1, 1, D)
_TOKEN_PARAMS = ("cls_token", "dist_token", "reg_token")


def prefix_tokens(model: nn.Module) -> int | None:
    """Tokens before the patch tokens: timm's ``num_prefix_tokens``, else the token parameters'
    count; None when the model says nothing either way."""
    n = getattr(model, "num_prefix_tokens", None)
    if isinstance(n, int) and not isinstance(n, bool):
        return n
    found = [getattr(model, a, None) for a in _TOKEN_PARAMS]
    tokens = [t for t in found if isinstance(t, Tensor) and t.ndim == 3]
    if not tokens:
        return None
    return sum(int(t.shape[1]) for t in tokens)


def _grids(model: nn.Module, hw: tuple[int, int]) -> list[tuple[int, int]]:
    """Candidate (h, w) patch grids for an input of ``hw`` pixels, most specific first."""
    out: list[tuple[int, int]] = []
    pe = getattr(model, "patch_embed", None)
    if pe is not None:
        dyn = getattr(pe, "dynamic_feat_size", None)
        if callable(dyn):
            try:
                g = dyn(hw)
                out.append((int(g[0]), int(g[1])))
            except Exception:  # noqa: BLE001 - a helper that may not accept this input; try the next
                pass
        gs = getattr(pe, "grid_size", None)
        if gs is not None:
            out.append((int(gs[0]), int(gs[1])))
    info = getattr(model, "feature_info", None)
    if info:
        red = info[-1].get("reduction") if isinstance(info[-1], dict) else None
        if red:
            out.append((math.ceil(hw[0] / red), math.ceil(hw[1] / red)))
    return out


def sequence_layout(
    model: nn.Module, tokens: int, hw: tuple[int, int]
) -> tuple[int, tuple[int, int] | None]:
    """(special tokens, grid or None) of a (N, ``tokens``, D) output for ``hw``-pixel images."""
    special = prefix_tokens(model)
    for g in _grids(model, hw):
        n = g[0] * g[1]
        if special is not None and n + special == tokens:
            return special, g
        if special is None and 0 <= tokens - n <= 8:  # a few leading tokens the model does not name
            return tokens - n, g
    if special is not None and special <= tokens:
        return special, None
    return 0, None


def pooled_branches(model: Any, feats: list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    """A list of branch outputs -> (N, 1, num_features): the model's own pre-logits pooling.

    ``model`` is a timm model (its ``forward_head`` is a per-family attribute, hence Any)."""
    pooled = model.forward_head(feats, pre_logits=True)
    if pooled.ndim == 3:  # (N, 1, D) already pooled to one token (CoaT's aggregate)
        pooled = pooled.flatten(1) if pooled.shape[1] == 1 else pooled.mean(1)
    return pooled.unsqueeze(1)
