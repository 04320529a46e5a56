"""Build one open_clip tower from its architecture config and load local weights into it.

Only the requested tower is built (open_clip's own tower builders, randomly initialised, nothing
downloaded). ``checkpoint=`` may hold a whole open_clip model (what open_clip saves and ships as
``open_clip_model.safetensors``) or just this tower; the other tower's keys are ignored.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from torch import Tensor, nn

from sen_core.errors import CheckpointError, ConfigError
from sen_core.neuron import load_into, load_state_dict_file

from .configs import arch_config, tower_kind
from .trunk_grid import resample_trunk_pos_embed

__all__ = ["build_text", "build_visual", "load_tower_checkpoint"]

# keys of a whole-model checkpoint that belong to neither tower's state dict
_SHARED_KEYS = ("logit_scale", "logit_bias")


def build_visual(
    arch: str, *, image_size: int | None = None, name: str
) -> tuple[nn.Module, dict[str, Any]]:
    """The image tower of ``arch`` (VisionTransformer, ModifiedResNet or TimmModel) and its config."""
    from open_clip.model import _build_vision_tower

    cfg = arch_config(arch, name=name)
    v = cfg["vision_cfg"]
    if image_size is not None:
        v["image_size"] = int(image_size)
    if v.get("timm_model_name"):
        v["timm_model_pretrained"] = False  # never fetch timm's ImageNet weights
    visual = _build_vision_tower(int(cfg["embed_dim"]), v, bool(cfg.get("quick_gelu", False)), None)
    trunk = getattr(visual, "trunk", None)
    if trunk is not None and image_size is not None and hasattr(trunk, "set_input_size"):
        trunk.set_input_size(img_size=int(image_size))  # timm ViTs resample their position grid
    return visual, cfg


def build_text(arch: str, *, name: str) -> tuple[nn.Module, dict[str, Any]]:
    """The native text tower (open_clip TextTransformer) of ``arch`` and its config."""
    from open_clip.model import _build_text_tower

    cfg = arch_config(arch, name=name)
    if tower_kind(cfg, "text") == "hf":
        hf = cfg["text_cfg"]["hf_model_name"]
        raise ConfigError(
            f"{name}: this architecture's text tower is the Hugging Face model '{hf}', which open_clip "
            "fetches from the hub; SEN builds open_clip's native text towers only. Use "
            "transformers/roberta@1 (or bert@1) with path=<local save_pretrained directory> instead"
        )
    text = _build_text_tower(
        int(cfg["embed_dim"]), cfg["text_cfg"], bool(cfg.get("quick_gelu", False)), None
    )
    return text, cfg


def _strip_ddp(sd: dict[str, Tensor]) -> dict[str, Tensor]:
    if sd and all(k.startswith("module.") for k in sd):
        return {k[len("module.") :]: v for k, v in sd.items()}
    return sd


def _tower_keys(sd: dict[str, Tensor], tower: str) -> dict[str, Tensor]:
    """Keep (and un-prefix) the keys of ``tower``; a tower-only state dict passes through."""
    if tower == "image":
        if any(k.startswith("visual.") for k in sd):
            return {k[len("visual.") :]: v for k, v in sd.items() if k.startswith("visual.")}
        return sd
    if any(k.startswith("text.") for k in sd):  # CustomTextCLIP / CoCa keep the tower under text.
        return {k[len("text.") :]: v for k, v in sd.items() if k.startswith("text.")}
    # plain CLIP flattens the text tower into the model's top level
    skip = ("visual.", "text_decoder.", *_SHARED_KEYS)
    return {k: v for k, v in sd.items() if not k.startswith(skip)}


def load_tower_checkpoint(tower_module: nn.Module, path: str, *, tower: str, name: str) -> None:
    """Load the local file ``path`` into ``tower_module``; mismatches raise CheckpointError by key."""
    sd = _tower_keys(_strip_ddp(load_state_dict_file(path)), tower)
    if not sd:
        raise CheckpointError(f"{name}: checkpoint '{path}' holds no {tower}-tower weights")
    if tower == "image" and "positional_embedding" in sd and hasattr(tower_module, "grid_size"):
        # open_clip's own resampling of the position grid, for a different image_size
        from open_clip.model import resize_pos_embed

        wrapped = {"visual.positional_embedding": sd["positional_embedding"]}
        resize_pos_embed(wrapped, SimpleNamespace(visual=tower_module))
        sd["positional_embedding"] = wrapped["visual.positional_embedding"]
    if tower == "image":  # a timm ViT trunk built for another image_size
        sd = resample_trunk_pos_embed(tower_module, sd)
    load_into(tower_module, sd, name=f"{name}: checkpoint '{path}'")
