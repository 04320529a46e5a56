"""open_clip towers with a timm ViT trunk: image_size + checkpoint resamples the trunk's position grid."""

from __future__ import annotations

from typing import Any

import torch
from safetensors.torch import save_file

from sen_core.neuron import build_neuron

NAME = "open_clip/sen-tiny-timm/image"


def test_checkpoint_at_another_image_size_is_resampled(tmp_path):
    """A checkpoint saved at the arch's size loads into a 96 px tower: pos_embed resampled, as timm's
    resample_abs_pos_embed gives it, and the tower encodes a 6x6 grid + class token."""
    from timm.layers import resample_abs_pos_embed

    torch.manual_seed(0)
    src = build_neuron(NAME)
    path = tmp_path / "tower.safetensors"
    save_file({f"visual.{k}": v.contiguous() for k, v in src.visual.state_dict().items()}, path)
    sized: Any = build_neuron(NAME, image_size=96, checkpoint=str(path))  # reads its .visual
    want = resample_abs_pos_embed(
        src.visual.trunk.pos_embed, new_size=[6, 6], num_prefix_tokens=1, verbose=False
    )
    assert torch.equal(sized.visual.trunk.pos_embed, want)
    out = sized(torch.randint(0, 256, (1, 1, 96, 96, 3), dtype=torch.uint8))
    assert (out.layout.tokens_per_frame, out.layout.grid, out.layout.special_tokens) == (
        37,
        (6, 6),
        1,
    )
