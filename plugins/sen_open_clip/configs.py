"""open_clip architecture configs: lookup by name, plus SEN's tiny test architectures.

The tiny configs (``sen-tiny-vit``, ``sen-tiny-rn``, ``sen-tiny-timm``) are registered with
``open_clip.add_model_config`` the first time an ``open_clip/`` name is listed or resolved (never at
import), so tests and the conformance suite can build every tower kind in milliseconds.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sen_core.errors import UnknownNameError, suggest

__all__ = ["TINY_CONFIGS", "arch_config", "list_archs", "register_tiny_configs", "tower_kind"]

# CLIP BPE vocabulary: the text towers below share open_clip's SimpleTokenizer.
_CLIP_VOCAB = 49408

TINY_CONFIGS: dict[str, dict[str, Any]] = {
    # ViT image tower + causal CLIP text tower (EOT = argmax pooling): the ViT-B-32 recipe, shrunk.
    "sen-tiny-vit": {
        "embed_dim": 64,
        "vision_cfg": {
            "image_size": 64,
            "layers": 2,
            "width": 128,
            "head_width": 64,
            "patch_size": 32,
        },
        "text_cfg": {
            "context_length": 16,
            "vocab_size": _CLIP_VOCAB,
            "width": 64,
            "heads": 2,
            "layers": 2,
        },
    },
    # ModifiedResNet image tower (FiLM-prompted) + causal text tower pooled at the first EOS id.
    "sen-tiny-rn": {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 16, "head_width": 16},
        "text_cfg": {
            "context_length": 16,
            "vocab_size": _CLIP_VOCAB,
            "width": 64,
            "heads": 2,
            "layers": 2,
            "pool_type": "eos",
            "eos_id": 49407,
        },
    },
    # timm trunk (timm's test_vit) + bidirectional SigLIP-style text tower pooled at the last position.
    "sen-tiny-timm": {
        "embed_dim": 64,
        "custom_text": True,
        "vision_cfg": {
            "image_size": 64,
            "timm_model_name": "test_vit",
            "timm_model_pretrained": False,
            "timm_pool": "token",
            "timm_proj": "linear",
        },
        "text_cfg": {
            "context_length": 16,
            "vocab_size": _CLIP_VOCAB,
            "width": 64,
            "heads": 2,
            "layers": 2,
            "no_causal_mask": True,
            "pool_type": "last",
            "proj_bias": True,
        },
    },
}


@functools.lru_cache(maxsize=1)
def register_tiny_configs() -> Path:
    """Write the tiny configs as JSON files and hand them to open_clip (once per process)."""
    import open_clip

    folder = Path(tempfile.mkdtemp(prefix="sen-open-clip-configs-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, cfg in TINY_CONFIGS.items():
        (folder / f"{name}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(folder)
    return folder


def list_archs() -> list[str]:
    """Every open_clip architecture name, SEN's tiny ones included."""
    import open_clip

    register_tiny_configs()
    return list(open_clip.list_models())


def arch_config(arch: str, *, name: str | None = None) -> dict[str, Any]:
    """A deep copy of the architecture's config; an unknown arch raises UnknownNameError with suggestions."""
    from open_clip.factory import get_model_config

    register_tiny_configs()
    cfg = get_model_config(arch) if "/" not in arch and ":" not in arch else None
    if cfg is None:
        shown = name or f"open_clip/{arch}/image"
        tower = shown.rsplit("/", 1)[-1] if shown.count("/") >= 2 else "image"
        pool = [f"open_clip/{a}/{tower}" for a in list_archs()]
        raise UnknownNameError(shown, "encoder", suggest(shown, pool))
    return copy.deepcopy(cfg)


def tower_kind(cfg: dict[str, Any], tower: str) -> str:
    """'vit' | 'resnet' | 'timm' for image towers; 'native' | 'hf' for text towers."""
    if tower == "image":
        v = cfg["vision_cfg"]
        if v.get("timm_model_name"):
            return "timm"
        return "resnet" if isinstance(v.get("layers"), (list, tuple)) else "vit"
    return "hf" if cfg["text_cfg"].get("hf_model_name") else "native"
