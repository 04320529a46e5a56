"""The ``timm/<model>`` dynamic family: list timm's architectures and resolve one into an EncoderSpec.

The catalogue calls these only when a query names the ``timm/`` namespace; resolving reads timm's
registry and pretrained config without building (or downloading) anything.
"""

from __future__ import annotations

from sen_core.errors import UnknownNameError, suggest
from sen_core.neuron.prompting.timm_models import model_module, prompting_for
from sen_core.specs import EncoderSpec, Preprocess, TokenLayout

NAMESPACE = "timm"
FACTORY = "sen_timm.neuron:build"


def _timm_name(name: str) -> str:
    prefix = NAMESPACE + "/"
    return name[len(prefix) :] if name.startswith(prefix) else name


def list_names(pattern: str | None = None) -> list[str]:
    """``timm/`` names matching the wildcard ``pattern`` (a bare word matches anywhere)."""
    import timm

    pat = _timm_name(pattern or "*")
    if not any(c in pat for c in "*?["):
        pat = f"*{pat}*"  # same rule as the catalogue: a bare word is a substring search
    return [f"{NAMESPACE}/{n}" for n in timm.list_models(pat)]


def resolve(name: str) -> EncoderSpec:
    """``'timm/vit_tiny_patch16_224'`` (optionally ``.tag``) -> its EncoderSpec; unknown -> UnknownNameError."""
    import timm
    from timm.models import get_pretrained_cfg, is_model, split_model_name_tag

    model = _timm_name(name)
    arch, tag = split_model_name_tag(model)
    if not is_model(arch):
        candidates = [f"{NAMESPACE}/{n}" for n in timm.list_models()]
        raise UnknownNameError(
            f"{NAMESPACE}/{model}", "encoder", suggest(f"{NAMESPACE}/{model}", candidates)
        )
    cfg = get_pretrained_cfg(model) if tag else get_pretrained_cfg(arch)
    preprocess = Preprocess()
    if cfg is not None:
        preprocess = Preprocess(
            image_size=int(cfg.input_size[-1]), mean=tuple(cfg.mean), std=tuple(cfg.std)
        )
    prompting = prompting_for(arch)
    how = "prompt tokens" if prompting == "tokens" else "FiLM on its stages"
    return EncoderSpec(
        name=f"{NAMESPACE}/{model}",
        summary=f"timm {model} ({model_module(arch)}), prompted by {how}",
        factory=FACTORY,
        params={"model": model},
        param_types={
            "pretrained": "bool",
            "model_kwargs": "dict|null",
            "image_size": "int|null",
            "tokens_per_frame": "int|str",
            "prompt_depth": "str",
            "prompt_from": "int",
        },
        modality="image",
        layout=TokenLayout(kind="frames"),
        preprocess=preprocess,
        prompting=prompting,
        tags=("timm", model_module(arch)),
    )
