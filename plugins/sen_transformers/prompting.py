"""Prompt tokens for Hugging Face encoders, through hooks on the model's own modules.

A forward hook on ``model.embeddings`` inserts M prompt tokens at position ``at`` (after CLS; 0 for
models without one) once the tokens are embedded (so real tokens keep their position ids); forward
pre-hooks on layers 1..L-1 replace those positions with the next layer's prompts (VPT-deep).
Outside ``applied(...)`` every hook is a no-op, so the unprompted model is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from sen_core.errors import ConfigError
from sen_core.neuron import PromptSlot, SuperNeuron
from sen_core.neuron_inputs import insert_tokens

__all__ = ["PromptHooks", "layer_list"]

_LAYER_PATHS = ("encoder.layer", "encoder.layers", "layers", "layer")


def layer_list(model: nn.Module) -> nn.ModuleList:
    """The model's stack of transformer layers (its location differs between architectures)."""
    for path in _LAYER_PATHS:
        try:
            mod = model.get_submodule(path)
        except AttributeError:
            continue
        if isinstance(mod, nn.ModuleList) and len(mod) > 0:
            return mod
    raise ConfigError(
        f"{type(model).__name__} has no layer list at any of {_LAYER_PATHS}; cannot prompt it"
    )


class PromptHooks:
    """Hooks that feed shallow (B, M, D) or deep (B, depth, M, D) prompts into ``model``."""

    def __init__(self, model: nn.Module, *, at: int) -> None:
        self.at = at
        self.layers = layer_list(model)
        self.depth = len(self.layers)
        self._prompts: Tensor | None = None
        model.embeddings.register_forward_hook(self._insert)
        for i in range(1, self.depth):
            self.layers[i].register_forward_pre_hook(self._replacer(i), with_kwargs=True)

    def _insert(self, module: nn.Module, args: Any, out: Any) -> Tensor | None:
        p = self._prompts
        if p is None:
            return None
        if not isinstance(out, Tensor):
            raise ConfigError(
                f"{type(module).__name__} returns {type(out).__name__}; expected a tensor to prompt"
            )
        return insert_tokens(out, p[:, 0] if p.ndim == 4 else p, self.at)

    def _replacer(self, i: int):
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
            p = self._prompts
            if p is None or p.ndim != 4:
                return None
            at, m = self.at, p.shape[-2]
            h = args[0] if args else kwargs["hidden_states"]
            h = torch.cat([h[:, :at], p[:, i].to(h.dtype), h[:, at + m :]], dim=1)
            if args:
                return (h, *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": h}

        return hook

    @contextmanager
    def applied(self, prompts: Tensor | None) -> Iterator[None]:
        """Within the block the model runs with ``prompts`` inserted; None = the plain model."""
        self._prompts = prompts
        try:
            yield
        finally:
            self._prompts = None


class HFPromptedNeuron(SuperNeuron):
    """Shared tail of the transformers neurons: prompt hooks, the prompt slot, freezing."""

    def _setup_prompting(self, model: nn.Module, *, at: int, deep: bool) -> None:
        """Width from the config, hooks that insert M prompts at position ``at``, then freeze."""
        self.width = int(model.config.hidden_size)
        self._hooks = PromptHooks(model, at=at)
        self._slot = PromptSlot(
            kind="tokens", dim=self.width, depth=self._hooks.depth if deep else 1
        )
        self.apply_trainable(model)
        self.train()

    def prompt_slot(self) -> PromptSlot | None:
        return self._slot
