"""Local checkpoints for timm neurons: read a file with sen_core.neuron.weights, let timm adapt it, load it.

timm's per-family ``checkpoint_filter_fn`` runs first, exactly as when timm loads its own pretrained
weights, so original-format checkpoints and other image sizes (position embeddings) still load.
"""

from __future__ import annotations

import sys
from pathlib import Path

from torch import Tensor, nn

from sen_core.errors import CheckpointError
from sen_core.neuron import LoadReport, load_into, load_state_dict_file

__all__ = ["load_timm_checkpoint", "timm_filter"]


def timm_filter(
    model: nn.Module, state_dict: dict[str, Tensor], *, source: str
) -> dict[str, Tensor]:
    """Strip DDP ``module.`` prefixes and apply the model family's own ``checkpoint_filter_fn``."""
    if state_dict and all(k.startswith("module.") for k in state_dict):
        state_dict = {k[len("module.") :]: v for k, v in state_dict.items()}
    filter_fn = getattr(sys.modules.get(type(model).__module__), "checkpoint_filter_fn", None)
    if filter_fn is None:
        return state_dict
    try:
        return dict(filter_fn(state_dict, model))
    except Exception as exc:  # the filter indexes keys it expects; a foreign checkpoint trips it
        raise CheckpointError(
            f"{source}: timm's checkpoint_filter_fn for {type(model).__name__} could not read it "
            f"({type(exc).__name__}: {exc}); is it a checkpoint of this architecture?"
        ) from exc


def load_timm_checkpoint(
    model: nn.Module, path: str | Path, *, name: str, strict: bool = True
) -> LoadReport:
    """Load the local file ``path`` into the timm ``model``; mismatches raise CheckpointError by key name."""
    source = f"{name}: checkpoint '{path}'"
    state_dict = timm_filter(model, load_state_dict_file(path), source=source)
    return load_into(model, state_dict, name=source, strict=strict)
