"""Conformance cases for open_clip/* towers and the transformers/* encoders, at tiny sizes.

open_clip: the three tiny test architectures registered by sen_open_clip (a ViT, a ModifiedResNet and
a timm-trunk tower), both towers each. transformers: four of the static specs with small images or
layers (the other static specs run with their defaults, which are small already).
"""

from __future__ import annotations

CASES: list[tuple[str, dict]] = [
    # open_clip: ViT (token prompts) + causal text, ResNet (FiLM) + EOS-pooled text, timm trunk + SigLIP-style text
    ("open_clip/sen-tiny-vit/image", {}),
    ("open_clip/sen-tiny-vit/text", {}),
    ("open_clip/sen-tiny-rn/image", {}),
    ("open_clip/sen-tiny-rn/text", {"project": False}),
    ("open_clip/sen-tiny-timm/image", {"tokens_per_frame": "cls"}),
    ("open_clip/sen-tiny-timm/text", {}),
    # transformers: random weights from small configs (hidden size kept at the spec's 128)
    ("transformers/bert@1", {"config": {"num_hidden_layers": 1, "intermediate_size": 256}}),
    ("transformers/clip-text@1", {"config": {"num_hidden_layers": 1, "intermediate_size": 256}}),
    # fixed-length padding: the cached step must equal the uncached one (issue 21.5)
    (
        "transformers/bert@1",
        {
            "padding": "max_length",
            "max_length": 24,
            "config": {"num_hidden_layers": 1, "intermediate_size": 256},
        },
    ),
    ("transformers/vit@1", {"image_size": 32}),
    ("transformers/videomae@1", {"image_size": 32, "config": {"num_frames": 4}}),
]
