"""Position grid of an open_clip tower whose trunk is a timm ViT, for a checkpoint saved at another size.

``image_size`` rebuilds the trunk's ``pos_embed`` for the new grid; a checkpoint trained at the
architecture's own size holds the old grid. ``resample_trunk_pos_embed`` resamples it the way timm
does when it loads pretrained weights (``resample_abs_pos_embed``, bicubic, prefix tokens kept).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

__all__ = ["resample_trunk_pos_embed"]

KEY = "trunk.pos_embed"


def resample_trunk_pos_embed(tower: nn.Module, sd: dict[str, Tensor]) -> dict[str, Tensor]:
    """``sd`` with ``trunk.pos_embed`` resampled to ``tower``'s grid when the shapes differ."""
    trunk: Any = getattr(tower, "trunk", None)  # a timm model, or None for other towers
    pe = getattr(trunk, "pos_embed", None)
    if KEY not in sd or not isinstance(pe, Tensor) or sd[KEY].shape == pe.shape:
        return sd
    from timm.layers import resample_abs_pos_embed

    grid = getattr(getattr(trunk, "patch_embed", None), "grid_size", None)
    if grid is None:
        return sd  # nothing to resample to; the load reports the mismatch by key name
    prefix = 0 if getattr(trunk, "no_embed_class", False) else int(trunk.num_prefix_tokens)
    out = dict(sd)
    out[KEY] = resample_abs_pos_embed(
        sd[KEY], new_size=list(grid), num_prefix_tokens=prefix, verbose=False
    )
    return out
