"""Where FiLM prompts enter a timm-style model: the stage modules, and how a stage output is modulated.

timm's ``feature_info`` names each stage for its ``features_only`` wrapper; on the classification
model a name can be missing (mvitv2/twins say ``block.i``; gemma4 nests it under ``encoder.``), a
``ModuleList`` that never runs as such (coat, twins), or a module returning a tuple or list (pit,
tnt, selecsls, crossvit, efficientvim, mvitv2). ``film_stages`` maps each name to the module that
really runs; ``modulate`` scales and shifts the tensor of a stage output that carries its channels.
Used by ``sen_core.neuron.prompting.timm_models.FilmHooks`` (shared by the sen_timm and sen_open_clip plugins);
torch is imported only inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sen_core.errors import ConfigError

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["channel_shape", "film_stages", "modulate"]

# feature_info names of the features_only model -> the classification model's attribute holding
# the same stage (mvitv2: ``stages.i``, twins: ``blocks.i``)
_ALIASES = {"block": ("stages", "blocks")}


def _hrnet_stages(model: nn.Module) -> list[tuple[str, int]]:
    """HRNet: ``feature_info`` counts the ``incre_modules`` outputs (after stem), which are tensors;
    the ``stage*`` modules it names return lists of branches with other widths."""
    feature_info: Any = model.feature_info  # timm attribute: a list of dicts
    info = list(feature_info)[1:]
    names = [f"incre_modules.{i}" for i in range(len(info))]
    return [(n, int(f["num_chs"])) for n, f in zip(names, info, strict=True)]


# families whose feature_info stages are not the classification model's stage outputs at all
_OVERRIDES = {"HighResolutionNet": _hrnet_stages, "HighResolutionNetFeatures": _hrnet_stages}


def _runs(model: nn.Module, name: str) -> str | None:
    """``name`` if it is a submodule whose forward runs; a ModuleList -> its last member."""
    from torch import nn

    try:
        mod = model.get_submodule(name)
    except AttributeError:
        return None
    if isinstance(mod, nn.ModuleList):  # never called itself; its last member ends the stage
        return f"{name}.{len(mod) - 1}" if len(mod) else None
    return name


def _resolve(model: nn.Module, name: str, all_names: Sequence[str]) -> str | None:
    found = _runs(model, name)
    if found:
        return found
    nested = [n for n in all_names if n.endswith("." + name)]
    if len(nested) == 1:
        return _runs(model, nested[0])
    head, _, rest = name.partition(".")
    for alias in _ALIASES.get(head, ()):
        found = _runs(model, f"{alias}.{rest}")
        if found:
            return found
    return None


def film_stages(model: nn.Module) -> list[tuple[str, int]]:
    """(module name, channels) of each FiLM stage, in forward order; ConfigError when there is none.

    A module may appear more than once (crossvit's blocks carry two branches of different widths):
    each entry then modulates its own element of the module's output.
    """
    override = _OVERRIDES.get(type(model).__name__)
    if override is not None:
        return override(model)
    info = getattr(model, "feature_info", None)
    if not info:
        raise ConfigError(
            f"timm model {type(model).__name__} declares no feature_info stages, so it cannot take "
            "FiLM prompts"
        )
    all_names = [n for n, _ in model.named_modules()]
    stages: list[tuple[str, int]] = []
    for f in info:
        found = _resolve(model, str(f["module"]), all_names)
        if found is not None and (found, int(f["num_chs"])) not in stages:
            stages.append((found, int(f["num_chs"])))
    if not stages:
        raise ConfigError(
            f"timm model {type(model).__name__}: none of its feature_info stages "
            f"({', '.join(str(f['module']) for f in info)}) is a module of the classification "
            "model, so it cannot take FiLM prompts"
        )
    return stages


def channel_shape(out: Tensor, c: int, channels_last: bool) -> tuple[int, ...] | None:
    """Broadcast shape of a (N, C) scale for ``out``, or None when ``out`` has no axis of C channels."""
    if out.ndim == 4 and out.shape[1] == c and not (channels_last and out.shape[-1] == c):
        return (out.shape[0], c, 1, 1)  # NCHW
    if out.ndim >= 2 and out.shape[-1] == c:
        return (out.shape[0],) + (1,) * (out.ndim - 2) + (c,)  # NHWC / (N, L, C) tokens
    if out.ndim == 3 and out.shape[1] == c:
        return (out.shape[0], c, 1)  # (N, C, L) sequences (efficientvim)
    return None


def modulate(
    out: Any, films: Sequence[tuple[int, Tensor, Tensor]], *, channels_last: bool, where: str
) -> Any:
    """Apply x * (1 + s) + b for each (C, s, b) in ``films`` to ``out``: a tensor, or the first
    not-yet-modulated tensor element of a tuple/list output with C channels and the batch size."""
    from torch import Tensor

    if isinstance(out, Tensor):
        c, s, b = films[0]
        shape = channel_shape(out, c, channels_last)
        if shape is None:
            raise ConfigError(
                f"FiLM stage '{where}' output {tuple(out.shape)} has no axis of {c} channels"
            )
        return out * (1 + s.reshape(shape)) + b.reshape(shape)
    if not isinstance(out, (tuple, list)):
        raise ConfigError(f"FiLM stage '{where}' returns {type(out).__name__}, not a tensor")
    items, taken = list(out), set()
    for c, s, b in films:
        for i, t in enumerate(items):
            if i in taken or not isinstance(t, Tensor) or t.shape[0] != s.shape[0]:
                continue
            shape = channel_shape(t, c, channels_last)
            if shape is not None:
                items[i] = t * (1 + s.reshape(shape)) + b.reshape(shape)
                taken.add(i)
                break
        else:
            shapes = [tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in out]
            raise ConfigError(
                f"FiLM stage '{where}' returns {type(out).__name__} {shapes}: no element with "
                f"{c} channels left to modulate"
            )
    return type(out)(items) if isinstance(out, tuple) else items
