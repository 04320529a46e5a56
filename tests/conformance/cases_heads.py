"""Conformance cases for the first-party heads whose defaults cannot build.

The linear classifier needs its class count; the QA head a language model and the editing head a
UNet: tiny random configs here (no download), so each head's checks run in well under a second.
"""

from __future__ import annotations

from _shared import TINY_UNET

_GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 128}

CASES: list[tuple[str, dict]] = [
    ("sen/classify-linear@1", {"num_classes": 5}),
    ("sen/qa-lm@1", {"lm_config": _GPT2, "prefix_tokens": 4}),
    ("sen/edit-cond@1", {"unet_config": TINY_UNET, "anchor_width": 24}),
]
