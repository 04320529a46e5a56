"""The ``open_clip/<arch>/image`` and ``open_clip/<arch>/text`` dynamic family.

The catalogue calls ``list_names`` / ``resolve`` only when a query names the ``open_clip/``
namespace; resolving reads open_clip's architecture config and builds (or downloads) nothing.
"""

from __future__ import annotations

from typing import Any

from sen_core.errors import UnknownNameError, suggest
from sen_core.specs import EncoderSpec, Preprocess, TokenLayout

from .configs import arch_config, list_archs, tower_kind

__all__ = ["NAMESPACE", "TOWERS", "image_norm", "list_names", "resolve", "split"]

NAMESPACE = "open_clip"
TOWERS = ("image", "text")
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def list_names(pattern: str | None = None) -> list[str]:
    """Both towers of every open_clip architecture (the catalogue filters by ``pattern``)."""
    return [f"{NAMESPACE}/{a}/{t}" for a in list_archs() for t in TOWERS]


def split(name: str) -> tuple[str, str]:
    """``'open_clip/ViT-B-32/image'`` -> ``('ViT-B-32', 'image')``; anything else -> UnknownNameError."""
    base = name.split("@", 1)[0]
    parts = base.split("/")
    if len(parts) != 3 or parts[0] != NAMESPACE or parts[2] not in TOWERS:
        arch = parts[1] if len(parts) > 1 else ""
        pool = [f"{NAMESPACE}/{arch}/{t}" for t in TOWERS] if arch else []
        pool += list_names()
        raise UnknownNameError(name, "encoder", suggest(name, pool))
    return parts[1], parts[2]


def image_norm(arch: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std shared by every pretrained tag of ``arch`` (read from open_clip's table; no download)."""
    import open_clip

    seen = set()
    for tag in open_clip.list_pretrained_tags_by_model(arch):
        cfg = open_clip.get_pretrained_cfg(arch, tag)
        seen.add((tuple(cfg.get("mean", OPENAI_MEAN)), tuple(cfg.get("std", OPENAI_STD))))
    if len(seen) == 1:
        return seen.pop()
    return OPENAI_MEAN, OPENAI_STD  # open_clip's own default when tags disagree or none exist


def _size(value: Any) -> int:
    return int(value if isinstance(value, int) else value[0])


def _image_spec(name: str, arch: str, cfg: dict[str, Any]) -> EncoderSpec:
    v, embed = cfg["vision_cfg"], int(cfg["embed_dim"])
    kind = tower_kind(cfg, "image")
    size = _size(v.get("image_size", 224))
    mean, std = image_norm(arch)
    width: int | None = embed  # projected into the joint space (the default project=True)
    if kind == "vit":
        prompting = "tokens"
        if v.get("attentional_pool"):  # CoCa: the pooler's queries, the first one pooled
            n = int(v.get("attn_pooler_queries", 256))
            layout = TokenLayout(kind="frames", tokens_per_frame=n, special_tokens=1)
        else:
            g = size // int(v.get("patch_size", 16))
            layout = TokenLayout(
                kind="frames", tokens_per_frame=1 + g * g, grid=(g, g), special_tokens=1
            )
        how = "ViT, prompt tokens after the class token"
    elif kind == "resnet":
        prompting = "film"
        g = size // 32
        layout = TokenLayout(
            kind="frames", tokens_per_frame=1 + g * g, grid=(g, g), special_tokens=1
        )
        how = "ModifiedResNet, FiLM on its four stages"
    else:
        from sen_core.neuron.prompting.timm_models import prompting_for

        prompting = prompting_for(v["timm_model_name"])
        layout = TokenLayout(kind="frames")
        # proj 'none' keeps the trunk's own (unknown until built) width; every other head projects
        width = None if v.get("timm_proj", "linear") == "none" else embed
        how = f"timm {v['timm_model_name']} trunk, " + (
            "prompt tokens" if prompting == "tokens" else "FiLM"
        )
    return EncoderSpec(
        name=name,
        summary=f"open_clip {arch} image tower ({how})",
        factory="sen_open_clip.image:build",
        params={
            "arch": arch,
            "tokens_per_frame": "all",
            "image_size": None,
            "project": True,
            "checkpoint": None,
            "trainable": "none",
            **({"prompt_depth": "shallow"} if prompting == "tokens" else {}),
            "prompt_from": 0,
        },
        param_types={
            "tokens_per_frame": "int|str",
            "image_size": "int|null",
            "mean": "list|null",
            "std": "list|null",
            "prompt_depth": "str",
        },
        modality="image",
        width=width,
        layout=layout,
        preprocess=Preprocess(image_size=size, mean=mean, std=std),
        prompting=prompting,
        tags=("open_clip", kind),
    )


def _text_spec(name: str, arch: str, cfg: dict[str, Any]) -> EncoderSpec:
    t, embed = cfg["text_cfg"], int(cfg["embed_dim"])
    ctx = int(t.get("context_length", 77))
    kind = tower_kind(cfg, "text")
    tokenizer = t.get("hf_tokenizer_name") or t.get("hf_model_name") or f"open_clip:{arch}"
    has_proj = t.get("proj_type", "linear") != "none"
    if kind == "hf":
        how = f"Hugging Face {t['hf_model_name']} text tower; not buildable offline, not promptable"
    else:
        how = "prompt tokens after the start token"
    return EncoderSpec(
        name=name,
        summary=f"open_clip {arch} text tower ({how})",
        factory="sen_open_clip.text:build",
        params={
            "arch": arch,
            "output": "sequence",
            "project": True,
            "checkpoint": None,
            "trainable": "none",
            "prompt_depth": "shallow",
            "prompt_from": 0,
        },
        modality="text",
        width=embed if has_proj else int(t.get("width", 512)),
        layout=TokenLayout(kind="sequence", tokens_per_frame=ctx),
        preprocess=Preprocess(tokenizer=tokenizer, max_length=ctx),
        prompting="tokens" if kind == "native" else "none",
        tags=("open_clip", kind),
    )


def resolve(name: str) -> EncoderSpec:
    """``'open_clip/<arch>/<image|text>'`` -> its EncoderSpec; unknown -> UnknownNameError."""
    arch, tower = split(name)
    cfg = arch_config(arch, name=name)
    canonical = f"{NAMESPACE}/{arch}/{tower}"
    return (
        _image_spec(canonical, arch, cfg) if tower == "image" else _text_spec(canonical, arch, cfg)
    )
