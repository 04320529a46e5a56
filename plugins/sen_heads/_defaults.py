"""Default parameters of every first-party head, by head name (no torch: plugin.py reads this).

The specs registered in plugin.py and the factories that build the heads share these dicts, so
a default is written once. Meaning of each parameter: docs/tasks.md.
"""

from __future__ import annotations

from typing import Any

PARAMS: dict[str, dict[str, Any]] = {
    "sen/classify-linear@1": {"num_classes": None, "dropout": 0.0, "label_smoothing": 0.0},
    "sen/classify-zeroshot@1": {
        "embed_dim": None,
        "init_temperature": 0.07,
        "label_smoothing": 0.0,
    },
    "sen/retrieval@1": {
        "embed_dim": None,
        "init_temperature": 0.07,
        "dedupe_captions": True,
        "text_input": "caption",
        "ties": "average",
    },
    "sen/moments@1": {
        "num_queries": 10,
        "layers": 2,
        "dropout": 0.1,
        "anchor_width": None,
        "text_input": "query",
        "cost_span": 10.0,
        "cost_giou": 1.0,
        "cost_class": 4.0,
        "span_weight": 10.0,
        "giou_weight": 1.0,
        "label_weight": 4.0,
        "eos_coef": 0.1,
        "saliency_loss": "hinge",
        "saliency_margin": 0.2,
        "saliency_weight": 1.0,
        "hit_threshold": 0.5,
        "max_windows": 10,
    },
    "sen/tracking@1": {
        "anchor_width": None,
        "init_temperature": 0.05,
        "huber_delta": 4.0,
        "position_weight": 0.05,
        "visibility_weight": 1.0,
        "query_mode": "strided",
        "visibility_threshold": 0.5,
        "position": "offset",
    },
    "sen/qa-lm@1": {
        "lm": None,
        "lm_path": None,
        "lm_config": None,
        "tokenizer_path": None,
        "prefix_tokens": 8,
        "freeze_lm": True,
        "prompt_template": "question: {question} answer:",
        "max_new_tokens": 16,
        "generate_in_eval": True,
        "max_prompt_tokens": 64,
    },
    "sen/edit-cond@1": {
        "unet_config": None,
        "unet_path": None,
        "vae_config": None,
        "vae_path": None,
        "tokens_per_frame": 8,
        "train_unet": False,
        "num_train_timesteps": 1000,
        "image_size": None,
        "anchor_width": None,
    },
}
