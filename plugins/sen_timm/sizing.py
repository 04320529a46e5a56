"""``image_size`` for timm models: build the model for the size, or refuse at build with a clear error.

Many timm models fix their geometry at construction (ViT position grids, Swin/MaxViT windows, LeViT
attention biases, EfficientFormer's flattening). ``model_kwargs_for_size`` tries timm's own
``img_size=`` argument, then the plain model, each built on PyTorch's ``meta`` device (shapes only, no
memory or compute) and run once at the requested size; the first that works is used. A model that
accepts neither gets a ConfigError at build instead of a raw timm error at the first encode. The
answer for a (model, kwargs, size) is kept for the process: a network built again (every seed and
variant of ``sen demo``, a sweep's trials) probes once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from sen_core.errors import ConfigError
from sen_core.specs import EncoderSpec

__all__ = ["default_size", "model_kwargs_for_size"]


def default_size(spec: EncoderSpec, model: str) -> int:
    """The image size a model is built for: the spec's, else timm's pretrained config, else 224."""
    if spec.preprocess.image_size is not None:
        return int(spec.preprocess.image_size)
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(model)
    return int(cfg.input_size[-1]) if cfg is not None else 224


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a YAML value (dicts and lists become sorted/ordered tuples)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    hash(value)  # TypeError: not cacheable
    return value


_PROBED: dict[tuple[str, Any, int], str | None] = {}


def _meta_error(model: str, kwargs: Mapping[str, Any], size: int) -> str | None:
    """None when ``model`` builds with ``kwargs`` and runs a (1, 3, size, size) input on meta
    (else timm's reason); answered once per process for each (model, kwargs, size)."""
    try:
        key = (model, _frozen(kwargs), size)
    except TypeError:
        return _probe(model, kwargs, size)
    if key not in _PROBED:
        _PROBED[key] = _probe(model, kwargs, size)
    return _PROBED[key]


def _probe(model: str, kwargs: Mapping[str, Any], size: int) -> str | None:
    import timm

    try:
        with torch.device("meta"):
            # a timm model: forward_features is per family (timm annotates plain nn.Module)
            net: Any = timm.create_model(model, pretrained=False, **kwargs).eval()
        with torch.no_grad():
            net.forward_features(torch.zeros(1, 3, size, size, device="meta"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not at this size"
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    return None


def model_kwargs_for_size(
    spec_name: str, model: str, kwargs: Mapping[str, Any], image_size: int | None, default: int
) -> dict[str, Any]:
    """``kwargs`` that build ``model`` for ``image_size`` pixels (``img_size=`` when needed).

    Raises ConfigError naming the model, the size and timm's reason when no build runs at that size.
    """
    out = dict(kwargs)
    if image_size is None or image_size == default or "img_size" in out:
        return out
    sized = {**out, "img_size": image_size}
    why_sized = _meta_error(model, sized, image_size)
    if why_sized is None:
        return sized
    why_plain = _meta_error(model, out, image_size)
    if why_plain is None:
        return out
    raise ConfigError(
        f"{spec_name}: image_size={image_size} is not supported: timm '{model}' is built for "
        f"{default}x{default} and neither img_size={image_size} ({why_sized}) nor the default build "
        f"({why_plain}) runs at {image_size}x{image_size}; leave image_size unset or choose another"
    )
