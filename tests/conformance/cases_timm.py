"""Conformance cases for the timm/* family: one small build per architecture family.

Each entry is (catalogue name, neuron params); model_kwargs shrink the models so that the whole
sample runs in seconds on a CPU (random weights: conformance checks the contract, not accuracy).
"""

from __future__ import annotations

_VIT_TINY = {"img_size": 32, "depth": 2}

CASES: list[tuple[str, dict]] = [
    # token prompting (ViT-style)
    ("timm/vit_tiny_patch16_224", {"model_kwargs": _VIT_TINY}),
    (
        "timm/vit_tiny_patch16_224",
        {"model_kwargs": _VIT_TINY, "prompt_depth": "deep", "tokens_per_frame": "cls"},
    ),
    ("timm/deit_tiny_distilled_patch16_224", {"model_kwargs": _VIT_TINY}),
    ("timm/eva02_tiny_patch14_224", {"model_kwargs": {"img_size": 28, "depth": 2}}),
    (
        "timm/beit_base_patch16_224",
        {"model_kwargs": {"img_size": 32, "depth": 2, "embed_dim": 64, "num_heads": 2}},
    ),
    # FiLM prompting (staged models)
    ("timm/resnet18", {"image_size": 64}),
    ("timm/resnet50d", {"image_size": 64, "model_kwargs": {"layers": [1, 1, 1, 1]}}),
    ("timm/convnext_atto", {"image_size": 64}),
    ("timm/efficientnet_b0", {"image_size": 64}),
    ("timm/mobilenetv3_small_100", {"image_size": 64, "tokens_per_frame": 1}),
    ("timm/regnetx_002", {"image_size": 64, "tokens_per_frame": "cls"}),
    (
        "timm/swin_tiny_patch4_window7_224",
        {
            "model_kwargs": {
                "img_size": 64,
                "embed_dim": 32,
                "depths": (1, 1, 1, 1),
                "num_heads": (1, 2, 2, 4),
                "window_size": 4,
            }
        },
    ),
]
