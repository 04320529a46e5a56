"""Conformance cases for the first-party heads whose defaults cannot build.

The linear classifier needs its class count; the QA head a language model and the editing head a
UNet: tiny random configs here (no download), so each head's checks run in well under a second.
"""

from __future__ import annotations

_GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 128}
_UNET = {
    "sample_size": 16,
    "in_channels": 3,
    "out_channels": 3,
    "layers_per_block": 1,
    "block_out_channels": [16, 32],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "cross_attention_dim": 24,
    "attention_head_dim": 8,
    "norm_num_groups": 8,
}

CASES: list[tuple[str, dict]] = [
    ("sen/classify-linear@1", {"num_classes": 5}),
    ("sen/qa-lm@1", {"lm_config": _GPT2, "prefix_tokens": 4}),
    ("sen/edit-cond@1", {"unet_config": _UNET, "anchor_width": 24}),
]
