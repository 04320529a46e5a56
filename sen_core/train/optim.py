"""AdamW over the trainable parameters, without weight decay on biases and normalisation weights.

Decaying a bias or a norm's scale pulls it towards zero for no regularising benefit (they are not
weight matrices), so those go in a second parameter group with ``weight_decay=0``.
"""

from __future__ import annotations

import torch
from torch import nn

from sen_core.config.run_config import TrainSpec
from sen_core.errors import ConfigError

_NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.modules.batchnorm._NormBase,
) + ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ())


def _is_norm(module: nn.Module) -> bool:
    # third-party norms (timm's LayerNorm2d, transformers' T5LayerNorm ...) are matched by name
    return isinstance(module, _NORM_TYPES) or "norm" in type(module).__name__.lower()


def split_decay(model: nn.Module) -> tuple[list[str], list[str]]:
    """Names of trainable parameters (decay, no_decay): 1-D tensors and norm weights get none."""
    decay: list[str] = []
    no_decay: list[str] = []
    seen: set[int] = set()  # id() of parameters already placed
    for mod_name, module in model.named_modules():
        for p_name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            name = f"{mod_name}.{p_name}" if mod_name else p_name
            (no_decay if p.ndim < 2 or _is_norm(module) else decay).append(name)
    return decay, no_decay


def make_optimizer(model: nn.Module, spec: TrainSpec) -> torch.optim.AdamW:
    """AdamW with one group per (weight decay, lr scale): ``spec.lr_scale`` multiplies the lr of
    the parameters whose name starts with a part of the network (``block.``, ``heads.`` ...)."""
    decay, no_decay = split_decay(model)
    if not decay and not no_decay:
        raise ConfigError(
            "the network has no trainable parameters; set 'trainable' on a neuron or add a block/head with weights"
        )
    params = dict(model.named_parameters())
    scales = {str(part): v for part, v in spec.lr_scale.items()}
    parts = {n.split(".", 1)[0] for n in (*decay, *no_decay)}
    idle = sorted(set(scales) - parts)
    if idle:
        raise ConfigError(
            f"train.lr_scale names {idle}, which hold no trainable parameters in this network "
            f"(parts with trainable parameters: {', '.join(sorted(parts))})"
        )
    groups = []
    for names, wd in ((decay, spec.weight_decay), (no_decay, 0.0)):
        by_scale: dict[float, list[str]] = {}
        for n in names:
            by_scale.setdefault(scales.get(n.split(".", 1)[0], 1.0), []).append(n)
        groups += [
            {
                "params": [params[n] for n in group],
                "weight_decay": wd,
                "lr": spec.lr * scale,
            }
            for scale, group in by_scale.items()
        ]
    return torch.optim.AdamW(groups, lr=spec.lr)
